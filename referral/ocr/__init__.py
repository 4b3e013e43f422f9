"""OCR of outside records: text layer or Tesseract kor+eng, scan clean-up, clinical post-correction."""
