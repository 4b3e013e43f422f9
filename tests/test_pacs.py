"""Imaging over DICOMweb between two real PACS (Debian Orthanc + DICOMweb plugin): at intake the referral carries
the patient's studies from the referring PACS — Korean names in DICOM character sets matched, a namesake and
records with another or no birth date left out — and they reach the receiving PACS; a PACS that is down is
retried, then reported, and the referral goes on."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.imaging import FindStudiesInput, ImagingActivities, TransferStudiesInput
from flows.referral.io import ProcessingStage
from referral.config import Settings
from referral.devserver import free_port
from referral.models import Clinician, Party, Patient, Priority, ReferralRequest, Sex
from referral.network import Network, load_network, write_network
from referral.pacs.models import ImagingStep
from referral.pacs.orthanc import OrthancServer
from referral.storage import DocumentStore
from referral.submission import IncomingFile, submit_referral
from referral.summary.guard import PlannedOrder, check_orders
from referral.summary.models import ClinicalSummary
from review.server import LabelStudioServer
from tests.deployment import deploy
from tests.dicom_fixtures import Study, referring_pacs_studies
from tests.helpers import CONSENT, referring_sends_summaries, replays, running, tiny_scan, wait_for, wait_for_stage
from tests.review_fixtures import annotate
from tests.test_review import KIM as REVIEWER
from tests.test_review import tasks_ready
from workers import cpu

pytestmark = pytest.mark.slow
KIM = Patient(name="김희중", birth_date=date(1940, 1, 1), sex=Sex.MALE, identifier="2008-3")
HONG = Patient(name="홍길동", birth_date=date(1970, 1, 1), sex=Sex.MALE, identifier="I2EXAMPLE")
LONG_LOOKBACK = 365 * 30  # chrKoreanMulti.dcm is a 2008 study
RECEIVING_PASSWORD = "knuh-pacs-test-only"  # 강원대병원's PACS asks for credentials; 영월의료원's does not
CREDENTIALS = {"knuh": ("referral-ax", RECEIVING_PASSWORD)}


class Pacs:
    def __init__(
        self, referring: OrthancServer, receiving: OrthancServer, studies: dict[str, Study], network_file: Path
    ) -> None:
        self.referring, self.receiving, self.studies, self.network_file = referring, receiving, studies, network_file

    @property
    def network(self) -> Network:
        return load_network(self.network_file)


@pytest.fixture(scope="module")
def pacs(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pacs]:
    folder = tmp_path_factory.mktemp("pacs")
    referring = OrthancServer(folder / "yeongwol", "yeongwol").start()
    receiving = OrthancServer(folder / "knuh", "knuh", users={"referral-ax": RECEIVING_PASSWORD}).start()
    studies = referring_pacs_studies(shared_data, date.today())
    for study in studies.values():
        referring.upload(study.data)
    pacs_urls = {
        "yeongwol-mc": referring.dicomweb,
        "knuh": receiving.dicomweb,
        "gangneung-mc": f"http://127.0.0.1:{free_port()}/dicom-web",  # nothing listens there
    }
    write_network(folder / "network.yaml", {org: {"pacs_url": url} for org, url in pacs_urls.items()})
    yield Pacs(referring, receiving, studies, folder / "network.yaml")
    referring.stop()
    receiving.stop()


def request_for(patient: Patient, referring: str = "yeongwol-mc") -> ReferralRequest:
    return ReferralRequest(
        consent=CONSENT,
        patient=patient.model_copy(update={"identifier": patient.identifier}),
        referring=Party(org=referring, department="내과", clinician=Clinician(name="김의사")),
        receiving=Party(org="knuh", department="호흡기내과"),
        priority=Priority.URGENT,
        reason="흉부 CT 이상 소견 평가 (abnormal chest CT)",
    )


def find(pacs: Pacs, patient: Patient, lookback: int = LONG_LOOKBACK, referring: str = "yeongwol-mc"):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from referral.models import DocumentRef, Referral

    document = DocumentRef(
        key="sha256/00/" + "0" * 64,
        sha256="0" * 64,
        media_type="image/png",
        page_count=1,
        size_bytes=1,
        filename="x.png",
    )
    referral = Referral(
        **request_for(patient, referring).model_dump(),
        referral_id="ref-" + "0" * 24,
        documents=[document],
        submitted_at=datetime.now(UTC),
        fingerprint="0" * 64,
    )
    return ActivityEnvironment().run(
        ImagingActivities(pacs.network, timeout_s=5, credentials=CREDENTIALS).find_prior_studies,
        FindStudiesInput(referral=referral, lookback_days=lookback),
    )


def test_the_patients_studies_and_only_hers(pacs: Pacs) -> None:
    found = find(pacs, KIM)
    assert found.configured
    uids = [s.study_uid for s in found.search.studies]
    assert uids == [pacs.studies["kim-cr"].study_uid, pacs.studies["kim-ct"].study_uid]  # oldest first
    assert pacs.studies["namesake-mr"].study_uid not in uids  # same name, other registration number
    assert found.search.excluded == {"birth_date_mismatch": 1, "missing_birth_date": 1}
    cr, ct = found.search.studies
    assert cr.modalities == ["CR"] and cr.study_date == date(2008, 5, 4) and (cr.series, cr.instances) == (1, 1)
    assert ct.modalities == ["CT"] and ct.description == "CHEST CT 흉부"  # Korean text through ISO 2022 IR 149


def test_recent_studies_only_by_default(pacs: Pacs) -> None:
    found = find(pacs, KIM, lookback=730)
    assert [s.study_uid for s in found.search.studies] == [pacs.studies["kim-ct"].study_uid]


def test_korean_phonetic_group_identifies_the_patient(pacs: Pacs) -> None:
    found = find(pacs, HONG)  # stored as Hong^Gildong=洪^吉洞=홍^길동
    assert [s.study_uid for s in found.search.studies] == [pacs.studies["hong-ot"].study_uid]


def test_unknown_patient_and_institution_without_pacs(pacs: Pacs) -> None:
    assert find(pacs, KIM.model_copy(update={"identifier": "NOPE-1"})).search.studies == []
    assert find(pacs, KIM, referring="seoul-mc").configured is False


def test_pacs_down_is_a_retryable_error(pacs: Pacs) -> None:
    with pytest.raises(ApplicationError) as err:
        find(pacs, KIM, referring="gangneung-mc")
    assert err.value.type == "PacsUnavailable" and not err.value.non_retryable and "unreachable" in str(err.value)


def test_studies_reach_the_receiving_pacs_once(pacs: Pacs) -> None:
    studies = find(pacs, KIM).search.studies
    activities = ImagingActivities(pacs.network, timeout_s=10, credentials=CREDENTIALS)
    beats: list[object] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details[0])
    moved = env.run(activities.transfer_studies, TransferStudiesInput(studies=studies, target_org="knuh"))
    assert moved.configured and moved.transfer is not None and moved.transfer.instances == 2 and len(beats) == 2
    for study in studies:
        assert study.study_uid in pacs.receiving.study_uids()
        assert pacs.receiving.instance_count(study.study_uid) == pacs.referring.instance_count(study.study_uid)
    again = ActivityEnvironment().run(
        activities.transfer_studies, TransferStudiesInput(studies=studies, target_org="knuh")
    )
    assert again.transfer is not None and again.transfer.instances == 2
    assert pacs.receiving.instance_count(studies[1].study_uid) == 1  # stored once
    unconfigured = ActivityEnvironment().run(
        activities.transfer_studies, TransferStudiesInput(studies=studies, target_org="snuh")
    )
    assert unconfigured.configured is False
    wrong = ImagingActivities(pacs.network, timeout_s=10, credentials={"knuh": ("referral-ax", "wrong")})
    with pytest.raises(ApplicationError) as err:
        ActivityEnvironment().run(wrong.transfer_studies, TransferStudiesInput(studies=studies, target_org="knuh"))
    assert err.value.type == "PacsRefused" and err.value.non_retryable and "credentials" in str(err.value)


def test_prior_ct_from_the_pacs_is_a_prior_test_for_the_guard(pacs: Pacs) -> None:
    from referral.summary.media import study_items

    summary = ClinicalSummary(backend="test", source_keys=[], imaging=study_items(find(pacs, KIM).search.studies))
    report = check_orders(summary, [PlannedOrder(name="Chest CT", planned_on=date.today())])
    assert [r.test for r in report.repeats] == ["흉부 CT (Chest CT)"] and report.repeats[0].days_since == 20
    assert report.repeats[0].evidence[0].document_key.startswith("pacs:yeongwol-mc:")


# ---- through the workflow -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def pacs_settings(
    client: Client, workers: None, settings: Settings, store: DocumentStore, pacs: Pacs
) -> AsyncIterator[Settings]:
    deployed = settings.with_changes(
        **{
            "cpu_task_queue": f"cpu-pacs-{uuid.uuid4().hex[:6]}",
            "network_file": pacs.network_file,
            "pacs_lookback_days": LONG_LOOKBACK,
            "pacs_retry_initial_s": 0.5,
            "pacs_attempts": 3,
            "pacs_timeout_s": 5,
        }
    )
    async with running(cpu.build_worker(client, deployed, store)):
        yield deployed


async def test_referral_carries_its_studies_into_the_summary(
    client: Client, store: DocumentStore, pacs: Pacs, pacs_settings: Settings
) -> None:
    network = referring_sends_summaries(pacs.network)  # the duplicate-test findings are in the records' summary
    result = await submit_referral(
        client, store, network, pacs_settings, request_for(KIM), [IncomingFile("scan.png", tiny_scan())]
    )
    status = await wait_for_stage(client, result.referral_id, {ProcessingStage.AWAITING_REVIEW})
    assert status.imaging is not None and status.imaging.search == ImagingStep.DONE
    assert [s.study_uid for s in status.imaging.studies] == [
        pacs.studies["kim-cr"].study_uid,
        pacs.studies["kim-ct"].study_uid,
    ]
    assert status.summary is not None
    summary = ClinicalSummary.model_validate_json(store.get(status.summary.summary_key))
    assert {i.modality for i in summary.imaging} >= {"CT", "X-ray"}
    [outside] = [d for d in status.summary.drafts if d.kind == "outside_record_summary"]
    text = json.loads(store.get(outside.text_key))["text"]
    assert "CHEST CT 흉부" in text and "2008-05-04 X-ray" in text
    # the chest CT of 20 days ago is still valid (90 days): the draft says not to repeat it
    assert "⚠ 흉부 CT (Chest CT):" in text and "(20일 전, 유효 90일)" in text


async def test_referring_pacs_down_is_reported_and_the_referral_goes_on(
    client: Client, store: DocumentStore, pacs: Pacs, pacs_settings: Settings
) -> None:
    result = await submit_referral(
        client,
        store,
        pacs.network,
        pacs_settings,
        request_for(KIM, "gangneung-mc"),
        [IncomingFile("scan.png", tiny_scan())],
    )
    status = await wait_for_stage(client, result.referral_id, {ProcessingStage.AWAITING_REVIEW})
    assert status.imaging is not None and status.imaging.search == ImagingStep.FAILED
    assert status.imaging.error is not None and "PacsUnavailable" in status.imaging.error
    assert status.imaging.studies == []


async def test_delivered_referral_brings_its_studies_to_the_receiving_pacs(
    client: Client,
    workers: None,
    settings: Settings,
    review_settings: Settings,
    store: DocumentStore,
    label_studio: LabelStudioServer,
    webhook_receiver: object,
    pacs: Pacs,
    tmp_path: Path,
) -> None:
    """Signed, delivered to 강원대병원's gateway, then 홍길동's study is copied into 강원대병원's PACS."""
    hong_study = pacs.studies["hong-ot"].study_uid
    assert hong_study not in pacs.receiving.study_uids()
    urls = {"yeongwol-mc": pacs.referring.dicomweb, "knuh": pacs.receiving.dicomweb}
    credentials = tmp_path / "pacs-credentials.yaml"
    credentials.write_text(yaml.safe_dump({"knuh": {"username": "referral-ax", "password": RECEIVING_PASSWORD}}))
    async with deploy(
        client,
        review_settings,
        store,
        tmp_path,
        pacs_urls=urls,
        pacs_credentials_file=credentials,
        pacs_lookback_days=LONG_LOOKBACK,
        pacs_retry_initial_s=0.5,
    ) as deployment:
        result = await submit_referral(
            client,
            store,
            deployment.network,
            deployment.settings,
            request_for(HONG),
            [IncomingFile("scan.png", tiny_scan())],
        )
        status = await wait_for(client, result.referral_id, tasks_ready)
        assert status.imaging is not None and status.imaging.transfer is None  # nothing leaves before signing
        for review in status.reviews:
            await asyncio.to_thread(annotate, label_studio.url, REVIEWER, review.task.task_id, "approve")
        status = await wait_for(
            client, result.referral_id, lambda s: s.imaging is not None and s.imaging.transfer == ImagingStep.DONE
        )
    assert status.delivery is not None and status.imaging.transferred is not None
    assert status.imaging.transferred.target_org == "knuh" and status.imaging.transferred.instances == 1
    assert hong_study in pacs.receiving.study_uids()
    await replays(client, settings, result.referral_id)
