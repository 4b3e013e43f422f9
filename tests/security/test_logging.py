"""Worker logs name no patient: PACS query values are masked and HTTP client request lines are not logged."""

from __future__ import annotations

import io
import logging

from workers.run import RedactPatientQueries, configure_logging


def test_patient_query_values_are_masked_in_any_log_line() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactPatientQueries())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("HTTP Request: GET %s", "http://pacs/dicom-web/studies?PatientID=2008-3&"
                       "PatientBirthDate=19400101&00100010=%EA%B9%80&StudyDate=20261110-")  # fmt: skip
        logger.warning("query %s failed", {"PatientName": "x", "url": "…?PatientName=Kim^Heejung 'next'"})
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert "2008-3" not in text and "19400101" not in text and "%EA%B9%80" not in text and "Kim^" not in text
    assert text.count("<redacted>") == 4 and "StudyDate=20261110-" in text  # what names no patient stays


def test_workers_log_no_http_request_lines() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        configure_logging("test-worker")
        assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
        assert all(any(isinstance(f, RedactPatientQueries) for f in h.filters) for h in root.handlers)
    finally:
        for handler in root.handlers[:]:
            for added in [f for f in handler.filters if isinstance(f, RedactPatientQueries)]:
                handler.removeFilter(added)
            if handler not in before:
                root.removeHandler(handler)
        logging.getLogger("httpx").setLevel(logging.NOTSET)
        logging.getLogger("httpcore").setLevel(logging.NOTSET)
