from __future__ import annotations

from pathlib import Path

from temporalio.client import Client

from flows.referral.io import PIPELINE_SETTLED, ProcessingStage
from referral.config import Settings
from referral.network import Network
from referral.ocr.models import OcrDocument
from referral.storage import DocumentStore
from referral.submission import IncomingFile, submit_referral
from referral.synthetic import clinical_record, image_bytes, render_page, scanned_pdf, text_pdf
from tests.helpers import make_request, wait_for_stage


async def test_referral_with_scans_and_pdfs_reaches_ocr_done(
    client: Client, workers: None, settings: Settings, store: DocumentStore, network: Network, shared_data: Path
) -> None:
    record = clinical_record(7)
    scan = render_page(record.lines, damage=0.5, seed=7)
    files = [
        IncomingFile("phototest.tif", (shared_data / "ocr/tesseract-test/phototest.tif").read_bytes()),
        IncomingFile("의뢰서-스캔.png", image_bytes(scan)),
        IncomingFile("scanned.pdf", scanned_pdf([scan])),
        IncomingFile("emr-print.pdf", text_pdf(record.lines)),
    ]
    result = await submit_referral(client, store, network, settings, make_request(), files)
    status = await wait_for_stage(client, result.referral_id, PIPELINE_SETTLED)
    assert status.stage == ProcessingStage.AWAITING_REVIEW, status.stage_error
    assert [o.document_key for o in status.ocr] == [d.key for d in result.documents]
    methods = {o.document_key: o.methods for o in status.ocr}
    assert methods[result.documents[3].key] == ["text_layer"]
    assert methods[result.documents[2].key] == ["tesseract"]
    emr = OcrDocument.model_validate_json(store.get(status.ocr[3].ocr_key))
    assert "진료의뢰서" in emr.text
    scanned = OcrDocument.model_validate_json(store.get(status.ocr[1].ocr_key))
    assert scanned.pages[0].words and all(w.box[2] > w.box[0] for w in scanned.pages[0].words)
