"""FHIR R4 messages following HL7 BSeR, with KR Core 2.0 profiles where they exist (built as JSON and
parsed strictly with fhirclient's R4 4.0.1 models before it leaves; the tests also run Medplum's R4 validator)."""
