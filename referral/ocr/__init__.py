"""OCR of outside records: text layer or Tesseract (Hangul script model + English), scan clean-up, two readings
of a clean page merged, clinical post-correction."""

# The models Tesseract reads with: the Hangul script model (Debian tesseract-ocr-script-hang, trained on Hangul
# with the Latin letters and digits printed among it) and English. On the independent corpus's clean scans it
# kept more printed facts than the Korean language model, plain (bench/ocr_engines.py, bench/RESULTS.md).
LANG = "Hangul+eng"
