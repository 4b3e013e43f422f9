"""FHIR R4 messages following HL7 BSeR, with KR Core 2.0 profiles where they exist (built and validated with
fhir.resources' R4B models, which cover R4's structures)."""
