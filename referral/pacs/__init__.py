"""Imaging that travels with the referral: prior studies found in the referring PACS over DICOMweb (QIDO-RS),
matched to the patient, and copied to the receiving PACS (WADO-RS → STOW-RS) once the referral is delivered."""
