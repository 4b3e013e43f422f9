"""The worklist's parts without servers: staff accounts and passwords, signed sessions and CSRF tokens (forged,
idle, too old, revoked), buckets for every state, masking, the SLA clock in Korean, and forms read into the API's
requests (times in KST, bad input refused with the field named)."""

from __future__ import annotations

import os
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from flows.referral.io import ProcessingStage
from referral.models import ConsentBasis, Priority, Side
from referral.states import ReferralEvent, ReferralState
from referral.web.accounts import AccountRefused, StaffDirectory, StaffRole
from referral.web.forms import FormRefused, event_request, referral_request_from
from referral.web.sessions import SessionSigner
from referral.web.worklist import KST, korean_datetime, masked_name, sla_clock, vocabulary

PASSWORD = "correct horse battery"


@pytest.fixture
def directory(tmp_path: Path) -> StaffDirectory:
    staff = StaffDirectory(tmp_path / "secrets" / "staff.yaml")
    staff.add("coord.knuh", "knuh", StaffRole.COORDINATOR, "이코디", PASSWORD)
    return staff


def test_accounts_store_hashes_only_in_a_private_file_and_check_passwords(directory: StaffDirectory) -> None:
    text = directory.path.read_text()
    assert PASSWORD not in text and "$argon2id$" in text
    assert stat.S_IMODE(os.stat(directory.path).st_mode) == 0o600
    account = directory.authenticate("Coord.KNUH ", PASSWORD)
    assert account is not None and (account.org, account.role, account.may_act) == ("knuh", "coordinator", True)
    assert directory.authenticate("coord.knuh", PASSWORD + "x") is None
    assert directory.authenticate("nobody", PASSWORD) is None


def test_a_changed_role_or_removed_account_is_read_again(directory: StaffDirectory) -> None:
    directory.add("coord.knuh", "knuh", StaffRole.READ_ONLY, "이코디", PASSWORD + "2")
    account = directory.get("coord.knuh")
    assert account is not None and account.role == StaffRole.READ_ONLY and not account.may_act
    directory.path.write_text("[]\n")
    assert directory.get("coord.knuh") is None


@pytest.mark.parametrize(("username", "password"), [("Bad Name", PASSWORD), ("x", PASSWORD), ("ok.name", "short")])
def test_bad_accounts_are_refused(directory: StaffDirectory, username: str, password: str) -> None:
    with pytest.raises(AccountRefused):
        directory.add(username, "knuh", StaffRole.CLINICIAN, "의사", password)
    assert directory.get("ok.name") is None


def signer() -> SessionSigner:
    return SessionSigner(b"k" * 32, idle_s=60, lifetime_s=3600)


def test_a_session_opens_only_as_sealed_and_in_time(directory: StaffDirectory) -> None:
    account = directory.get("coord.knuh")
    assert account is not None
    sessions = signer()
    session = sessions.start(account, now=1000.0)
    cookie = sessions.seal(session)
    opened = sessions.open(cookie, now=1030.0)
    assert opened is not None and (opened.username, opened.org, opened.last_seen) == ("coord.knuh", "knuh", 1030.0)
    assert sessions.open(cookie, now=1061.0) is None  # idle past a minute
    body, mac = cookie.rsplit(".", 1)
    forged = body.replace(body[:4], "AAAA") + "." + mac
    assert sessions.open(forged, now=1001.0) is None
    assert SessionSigner(b"x" * 32, 60, 3600).open(cookie, now=1001.0) is None  # another deployment's key
    assert sessions.open("not-a-cookie", now=1001.0) is None and sessions.open(None) is None
    kept_alive = session
    for at in range(1050, 4800, 50):  # active all along, yet the session ends after its lifetime
        reopened = sessions.open(sessions.seal(kept_alive), now=float(at))
        if reopened is None:
            assert at - 1000 > 3600
            break
        kept_alive = reopened
    else:
        pytest.fail("a session never ended")
    sessions.revoke(session)
    assert sessions.open(cookie, now=1001.0) is None


def test_csrf_tokens_belong_to_one_session(directory: StaffDirectory) -> None:
    account = directory.get("coord.knuh")
    assert account is not None
    sessions = signer()
    one, other = sessions.start(account), sessions.start(account)
    token = sessions.csrf_token(one)
    assert sessions.csrf_ok(one, token)
    assert not sessions.csrf_ok(other, token) and not sessions.csrf_ok(one, None) and not sessions.csrf_ok(one, "")


def test_every_state_a_side_sees_falls_in_one_bucket() -> None:
    words = vocabulary()
    for side in Side:
        for state in ReferralState:
            if side == Side.RECEIVING and state == ReferralState.DRAFT:
                continue  # never listed: the receiving side sees a referral once delivered
            for stage in [None, *ProcessingStage]:
                assert words.bucket_of(side, state, stage) is not None, (side, state, stage)
    assert set(words.states) == set(ReferralState) and set(words.events) == set(ReferralEvent)
    assert (
        words.bucket_of(Side.REFERRING, ReferralState.DRAFT, ProcessingStage.AWAITING_REVIEW).key == "awaiting-review"
    )  # type: ignore[union-attr]
    assert words.bucket_of(Side.REFERRING, ReferralState.DRAFT, ProcessingStage.OCR_RUNNING).key == "drafting"  # type: ignore[union-attr]
    assert words.bucket_of(Side.RECEIVING, ReferralState.NO_SHOW, None).key == "to-book"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "masked"), [("홍길동", "홍*동"), ("김철", "김*"), ("남궁민수", "남**수"), ("이", "*")]
)
def test_names_are_masked_in_lists(name: str, masked: str) -> None:
    assert masked_name(name) == masked


def test_the_sla_clock_and_dates_read_in_korean() -> None:
    now = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert sla_clock(now + timedelta(days=1, hours=3), now).text == "1일 3시간 남음 (left)"
    late = sla_clock(now - timedelta(minutes=90), now)
    assert late.overdue and late.text == "1시간 30분 지연 (overdue)"
    assert sla_clock(None, now).text == "-"
    assert korean_datetime(now) == "2026년 12월 1일 (화) 14:00"


def test_a_booking_form_is_korea_standard_time_and_bad_input_names_its_field() -> None:
    form = {"event": "schedule", "appointment_date": "2026-12-07", "appointment_time": "09:30",
            "appointment_place": "본관 2층 외래", "appointment_minutes": "20"}  # fmt: skip
    request = event_request(form, Side.RECEIVING, "knuh", "이코디")
    assert request.appointment is not None
    assert request.appointment.start == datetime(2026, 12, 7, 0, 30, tzinfo=UTC)
    assert request.appointment.minutes == 20 and request.event == ReferralEvent.SCHEDULE
    for broken, field in [({**form, "appointment_time": "25:00"}, "appointment_date"),
                          ({**form, "appointment_place": ""}, "place"),
                          ({**form, "appointment_minutes": "many"}, "appointment_minutes"),
                          ({"event": "approve-everything"}, "event")]:  # fmt: skip
        with pytest.raises(FormRefused) as refused:
            event_request(broken, Side.RECEIVING, "knuh", "이코디")
        assert refused.value.field == field and "(" in str(refused.value)  # Korean first, English in brackets
    assert event_request({"event": "accept"}, Side.RECEIVING, "knuh", "이코디").appointment is None


NEW_REFERRAL = {
    "patient_name": "박영순", "birth_date": "1948-05-02", "sex": "female", "registration_no": "Y-2026-0042",
    "consent_basis": "patient", "consent_date": "2026-11-30", "consent_time": "10:15", "receiving_org": "knuh",
    "receiving_department": "순환기내과", "referring_department": "내과", "clinician_name": "김영월",
    "clinician_licence": "100001", "priority": "urgent", "referral_type": "consult", "reason": "흉통 평가",
}  # fmt: skip


def test_a_new_referral_form_becomes_the_api_request_with_its_consent() -> None:
    now = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    request = referral_request_from(NEW_REFERRAL, "yeongwol-mc", "이간호 (coord.yeongwol)", now)
    assert request.referring.org == "yeongwol-mc" and request.priority == Priority.URGENT
    assert request.patient.birth_date == date(1948, 5, 2)
    assert request.consent.basis == ConsentBasis.PATIENT and request.consent.recorded_by.startswith("이간호")
    assert request.consent.given_at == datetime(2026, 11, 30, 10, 15, tzinfo=KST)
    for field, value in [("birth_date", "1948-13-40"), ("consent_basis", "maybe"), ("patient_name", ""),
                         ("consent_basis", "representative")]:  # fmt: skip
        with pytest.raises(FormRefused):
            referral_request_from({**NEW_REFERRAL, field: value}, "yeongwol-mc", "이간호", now)


def test_settings_changed_with_a_whole_workflow_group_keep_it() -> None:
    """The worklist test's fast SLA settings: a workflow group given whole, and names of it on top, both hold."""
    from referral.config import Settings

    base = Settings()
    changed = base.with_changes(workflow=base.workflow.model_copy(update={"sla_reminder_every_s": 1.0}),
                                sla_escalate_after=5)  # fmt: skip
    assert (changed.workflow.sla_reminder_every_s, changed.workflow.sla_escalate_after) == (1.0, 5)
    assert base.workflow.sla_reminder_every_s != 1.0


def test_referral_staff_adds_an_account_and_refuses_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from referral.cli import main

    monkeypatch.setenv("REFERRAL_DATA_DIR", str(tmp_path))
    assert main(["staff", "coord.knuh", "--org", "knuh", "--role", "coordinator", "--name", "박강원"]) == 0
    generated = capsys.readouterr().out.split("password (shown once): ")[1].strip()
    staff = StaffDirectory(tmp_path / "secrets" / "staff.yaml")
    assert staff.authenticate("coord.knuh", generated) is not None
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["staff", "viewer.knuh", "--org", "knuh", "--role", "read_only", "--name", "조회원",
                 "--password-stdin"]) == 0  # fmt: skip
    assert "shown once" not in capsys.readouterr().out and staff.authenticate("viewer.knuh", PASSWORD) is not None
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["staff", "viewer.knuh", "--org", "knuh", "--role", "read_only", "--name", "조회원",
                 "--password-stdin"]) == 2  # fmt: skip
    assert main(["staff", "coord.x", "--org", "no-such-hospital", "--role", "coordinator", "--name", "x"]) == 2
    assert "no-such-hospital" in capsys.readouterr().err
    assert staff.authenticate("viewer.knuh", PASSWORD) is not None and staff.get("coord.x") is None
