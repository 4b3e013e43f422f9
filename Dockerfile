# Referral AX application image: API, CPU worker and GPU worker (the command chooses which).
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-kor tesseract-ocr-script-hang tesseract-ocr-eng tesseract-ocr-osd fonts-nanum \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
COPY referral ./referral
COPY flows ./flows
COPY activities ./activities
COPY review ./review
COPY workers ./workers
RUN pip install --no-cache-dir -c requirements.lock .
USER 65534
CMD ["referral", "--help"]
