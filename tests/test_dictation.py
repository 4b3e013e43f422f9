"""A referral spoken by the referring clinician: the recording goes in over HTTP or the CLI, is transcribed on the
GPU queue (Vosk by default, Whisper from a local folder on a worker configured for it), and the referral letter
draft is made from the transcript, with the time each fact was said; bad recordings are refused at the door."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.summarize import SummarizeInput, SummaryActivities
from flows.referral.io import ProcessingStage, TranscriptSummary
from referral.asr.models import Transcript
from referral.config import Settings
from referral.models import DictationRef, Referral
from referral.network import Network, default_network
from referral.storage import DocumentStore, sha256_hex
from referral.storage.local import LocalFolderStore
from tests.api_fixtures import auth, workflow_count
from tests.audio_fixtures import encode, long_recording, read_wav, silence
from tests.helpers import make_request, replays, running, wait_for, wait_for_stage
from tests.review_fixtures import ReviewEnv
from tests.test_cli import run_cli
from tests.test_review import tasks_ready
from tests.tinymodels import build_whisper
from workers import gpu

pytestmark = pytest.mark.slow
TTS = Path("speech") / "tts-demo"


@pytest.fixture(scope="module")
def korean_speech(shared_data: Path) -> np.ndarray:
    return read_wav(shared_data / TTS / "ko_krcore_phrases.wav")


@pytest.fixture(scope="module")
def api_store(store: DocumentStore) -> DocumentStore:
    """The API writes where the session's workers read, so dictations are processed."""
    return store


def dictation_form(request_json: str, recordings: list[tuple[str, bytes]], language: str = "ko") -> dict[str, object]:
    return {
        "data": {"referral": request_json, "dictation_language": language},
        "files": [("dictations", (name, data, "application/octet-stream")) for name, data in recordings],
    }


async def submit(
    api: httpx.AsyncClient, tokens: dict[str, str], recordings: list[tuple[str, bytes]], language: str = "ko"
) -> httpx.Response:
    form = dictation_form(make_request().model_dump_json(), recordings, language)
    return await api.post("/referrals", headers=auth(tokens, "yeongwol-mc"), **form)  # type: ignore[arg-type]


def letter_of(store: DocumentStore, status) -> str:  # type: ignore[no-untyped-def]
    [letter] = [d for d in status.summary.drafts if d.kind == "referral_letter"]
    return str(json.loads(store.get(letter.text_key))["text"])


async def test_spoken_referral_over_http_becomes_a_letter_draft(
    api: httpx.AsyncClient,
    tokens: dict[str, str],
    client: Client,
    api_store: DocumentStore,
    korean_speech: np.ndarray,
) -> None:
    created = await submit(api, tokens, [("의뢰.m4a", encode([korean_speech], "audio/mp4"))])
    assert created.status_code == 201, created.text
    status = await wait_for_stage(client, created.json()["referral_id"], {ProcessingStage.AWAITING_REVIEW})
    [heard] = status.dictations
    assert heard.backend == "vosk" and heard.segments >= 1 and heard.duration_s == pytest.approx(16.2, abs=0.2)
    transcript = Transcript.model_validate_json(api_store.get(heard.transcript_key))
    assert "예제" in transcript.text() and all(s.end <= 16.3 for s in transcript.segments)
    assert (
        status.summary is not None
        and heard.transcript_key in json.loads(api_store.get(status.summary.summary_key))["source_keys"]
    )
    letter = letter_of(api_store, status)  # drafted for review like any other: unsigned, with its reason
    assert letter.startswith("진료의뢰서") and make_request().reason in letter and "서명 전" in letter


async def test_two_hour_dictation_is_transcribed_chunk_by_chunk(
    api: httpx.AsyncClient, tokens: dict[str, str], client: Client, settings: Settings, korean_speech: np.ndarray
) -> None:
    created = await submit(api, tokens, [("long.flac", long_recording(korean_speech, hours=2))])
    assert created.status_code == 201, created.text
    status = await wait_for_stage(client, created.json()["referral_id"], {ProcessingStage.AWAITING_REVIEW})
    [heard] = status.dictations
    assert heard.duration_s == pytest.approx(7200, abs=1) and heard.chunks >= 240
    assert heard.silent_chunks == heard.chunks - 1 and heard.segments >= 1  # only the first chunk holds speech
    await replays(client, settings, status.referral_id)


async def test_bad_recordings_store_and_start_nothing(
    api: httpx.AsyncClient,
    tokens: dict[str, str],
    client: Client,
    api_store: DocumentStore,
    korean_speech: np.ndarray,
) -> None:
    before_workflows = await workflow_count(client)
    good = encode([korean_speech, silence(0.37)], "audio/flac")  # bytes no other test sends
    cases = {
        "corrupt": (b"RIFF\x24\x00\x00\x00WAVEjunk" + bytes(range(256)) * 40, 422, "corrupt_audio"),
        "silent": (encode([silence(30)], "audio/flac"), 422, "no_speech"),
        "text": ("녹음이 아닙니다".encode(), 415, "unsupported_type"),
    }
    for name, (data, code, reason) in cases.items():
        # a good recording beside the bad one: the whole submission is refused
        refused = await submit(api, tokens, [("good.flac", good), (name, data)])
        assert refused.status_code == code, (name, refused.text)
        assert refused.json()["detail"]["code"] == reason and "dictation 2" in refused.json()["detail"]["message"]
    empty = await api.post(
        "/referrals", headers=auth(tokens, "yeongwol-mc"), data={"referral": make_request().model_dump_json()}
    )
    assert empty.status_code == 422 and empty.json()["detail"]["code"] == "no_documents"
    for data in [good] + [data for data, _, _ in cases.values()]:
        assert not api_store.exists(f"sha256/{sha256_hex(data)[:2]}/{sha256_hex(data)}")
    assert await workflow_count(client) == before_workflows


async def test_english_dictation_without_an_english_model_fails_clearly(
    api: httpx.AsyncClient, tokens: dict[str, str], client: Client, shared_data: Path
) -> None:
    english = read_wav(shared_data / TTS / "en_dictation_mtsdialog_test1_0.wav")
    created = await submit(api, tokens, [("dictation.webm", encode([english], "audio/webm"))], language="en")
    status = await wait_for_stage(client, created.json()["referral_id"], {ProcessingStage.TRANSCRIPTION_FAILED})
    assert status.stage_error is not None and "AsrUnavailable" in status.stage_error
    assert "REFERRAL_ASR_VOSK_MODELS" in status.stage_error


async def test_cli_submits_a_dictation_and_shows_it(
    client: Client, settings: Settings, korean_speech: np.ndarray, tmp_path: Path
) -> None:
    recording = tmp_path / "referral-dictation.mp3"
    recording.write_bytes(encode([korean_speech], "audio/mpeg"))
    patient = [
        "--patient-name",
        "정민수",
        "--birth-date",
        "1958-06-01",
        "--sex",
        "male",
        "--patient-id",
        f"CLI-{uuid.uuid4().hex[:6]}",
        "--referring-org",
        "yeongwol-mc",
        "--receiving-org",
        "knuh",
        "--priority",
        "urgent",
        "--reason",
        "흉통 평가",
        "--consent",
        "patient",
        "--consent-recorded-by",
        "진료협력센터",
        "--consent-at",
        "2026-11-28 10:00",
    ]
    submitted = await run_cli(client, settings, "submit", "--dictation", str(recording), *patient, "--wait")
    assert submitted.returncode == 0, submitted.stderr
    referral_id = submitted.stdout.split()[0]
    shown = await run_cli(client, settings, "status", referral_id)
    assert "dictation" in shown.stdout and "vosk" in shown.stdout
    nothing = await run_cli(client, settings, "submit", *patient)
    assert nothing.returncode != 0 and "--dictation" in nothing.stderr


@pytest.fixture(scope="module")
async def whisper_settings(
    client: Client, settings: Settings, store: DocumentStore, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Settings]:
    """A GPU worker of its own, configured for transformers Whisper from a local folder."""
    folder = build_whisper(tmp_path_factory.mktemp("whisper"))
    configured = settings.model_copy(
        update={
            "gpu_task_queue": f"gpu-whisper-{uuid.uuid4().hex[:6]}",
            "asr_backend": "whisper",
            "asr_model_path": folder,
        }
    )
    async with running(gpu.build_worker(client, configured, store, concurrency=1)):
        yield configured


async def test_whisper_worker_transcribes_on_its_own_queue(
    client: Client,
    workers: None,
    store: DocumentStore,
    network: Network,
    whisper_settings: Settings,
    shared_data: Path,
) -> None:
    from referral.submission import IncomingDictation, submit_referral

    english = read_wav(shared_data / TTS / "en_dictation_mtsdialog_test1_0.wav")
    result = await submit_referral(
        client,
        store,
        network,
        whisper_settings,
        make_request(),
        [],
        dictations=[IncomingDictation("d.ogg", encode([english], "audio/ogg"), "en")],
    )
    status = await wait_for_stage(client, result.referral_id, {ProcessingStage.AWAITING_REVIEW})
    [heard] = status.dictations
    assert heard.backend.startswith("whisper:") and heard.language == "en" and heard.segments >= 1


def test_consultation_transcript_to_referral_letter(shared_data: Path, tmp_path: Path) -> None:
    """PriMock57 consultation 4, human transcript with its real timestamps, through the summary activity."""
    from datetime import UTC, datetime

    from tests.transcripts import primock_transcript

    store = LocalFolderStore(tmp_path)
    transcript = primock_transcript(
        shared_data / "speech" / "primock57" / "transcripts", "day1_consultation04", "sha256/00/" + "0" * 64
    )
    key = store.put(transcript.model_dump_json().encode(), "application/json").key
    heard = TranscriptSummary(
        dictation_key=transcript.dictation_key,
        transcript_key=key,
        backend=transcript.backend,
        language="en",
        duration_s=transcript.duration_s,
        segments=len(transcript.segments),
        chunks=1,
        silent_chunks=0,
    )
    dictation = DictationRef(
        key=transcript.dictation_key,
        sha256="0" * 64,
        media_type="audio/wav",
        duration_s=transcript.duration_s,
        size_bytes=1,
        filename="consultation.wav",
        language="en",
    )
    referral = Referral(
        **make_request().model_dump(),
        referral_id="ref-" + "1" * 24,
        dictations=[dictation],
        submitted_at=datetime.now(UTC),
        fingerprint="1" * 64,
    )
    result = ActivityEnvironment().run(
        SummaryActivities(store, default_network()).summarize_records,
        SummarizeInput(referral=referral, ocr=[], transcripts=[heard]),
    )
    [letter] = [d for d in result.drafts if d.kind == "referral_letter"]
    text = json.loads(store.get(letter.text_key))["text"]
    assert "Paracetamol" in text and "Ibuprofen" in text
    # evidence names the moment it was said: the patient's answer at 3:18 in the consultation
    assert "음성 03:18" in text
    summary = json.loads(store.get(result.summary_key))
    said = [e for m in summary["medications"] for e in m["evidence"]]
    assert all(e["seconds"] is not None and e["quote"] in transcript.text() for e in said)


async def test_reviewer_sees_the_transcript_beside_the_letter(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv, korean_speech: np.ndarray
) -> None:
    from referral.submission import IncomingDictation, submit_referral

    heard = [IncomingDictation("의뢰.wav", encode([korean_speech, silence(0.5)], "audio/wav"))]
    result = await submit_referral(client, store, network, review_env.settings, make_request(), [], dictations=heard)
    status = await wait_for(client, result.referral_id, tasks_ready)
    letter = next(r for r in status.reviews if r.task.kind == "referral_letter")
    headers = {"Authorization": f"Token {review_env.label_studio.token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        task = (await http.get(f"{review_env.label_studio.url}/api/tasks/{letter.task.task_id}/")).json()
    transcript = Transcript.model_validate_json(store.get(status.dictations[0].transcript_key))
    assert transcript.segments[0].text in task["data"]["records"]  # what was said, as the source of the draft


def test_allergies_said_in_a_consultation(shared_data: Path) -> None:
    """PriMock57: "allergic to, Clindamycin" is an allergy, "no, no allergies" a statement, a question neither."""
    from referral.summary.backends import ExtractorBackend
    from referral.summary.media import transcript_page
    from tests.transcripts import primock_transcript

    folder = shared_data / "speech" / "primock57" / "transcripts"

    def summary(consultation: str):  # type: ignore[no-untyped-def]
        transcript = primock_transcript(folder, consultation, "sha256/00/" + "0" * 64)
        return ExtractorBackend().summarize([transcript_page("sha256/00/" + "0" * 64, transcript)])

    allergic = summary("day1_consultation09")
    assert [a.substance for a in allergic.allergies] == ["Clindamycin"] and not allergic.no_known_allergies
    none = summary("day1_consultation06")
    assert none.allergies == [] and [s.text for s in none.no_known_allergies] == ["Patient: Uh , no, no allergies"]
    asked_only = summary("day1_consultation04")  # "any allergies?" asked, the answer not a sentence of its own
    assert asked_only.allergies == [] and asked_only.no_known_allergies == []
