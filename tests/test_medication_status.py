"""A medication's status read the way a pharmacist reads a list: from a label before the drugs, a mark closing the
line, the clause of the drug it is listed with, a plan that starts it, a clock time it was given at, and never from
another drug's stop. Each document here was written for this project with the features of outside records (the
status errors measured on the independent corpus), not their text."""

from __future__ import annotations

from referral.summary.extractor import extract
from referral.summary.models import ClinicalSummary
from referral.summary.source import text_page


def _statuses(text: str) -> dict[str, tuple[str | None, str | None]]:
    summary: ClinicalSummary = extract([text_page("doc", text)])
    return {m.name: (m.status, m.stop) for m in summary.medications}


def test_drugs_listed_together_share_the_status_said_after_the_last() -> None:
    text = ("▶ 입원 경과\n  Vancomycin 1g IV q12h + Metronidazole 500mg IV q8h 투여 (2027-02-01~02-07).\n"
            "※ 자낙스정 0.25mg, 쎄레브렉스캡슐 200mg은 퇴원 후 재처방 없음\n")  # fmt: skip
    assert _statuses(text) == {"Vancomycin": ("stopped", "02-07"), "Metronidazole": ("stopped", "02-07"),
                               "자낙스정": ("stopped", None), "쎄레브렉스캡슐": ("stopped", None)}  # fmt: skip


def test_a_label_before_the_drugs_and_a_mark_closing_the_line_give_the_status() -> None:
    text = ("[퇴원 시 투약]\n   글리메피리드 2mg 1T qd, 30일 (신규)\n   암로디핀 5mg 1T qd (유지)\n"
            "※ 입원 중 중단: 자낙스정 0.25mg (2027-03-04)\n")  # fmt: skip
    assert _statuses(text) == {"글리메피리드": ("new", None), "암로디핀": (None, None),
                               "자낙스정": ("stopped", "2027-03-04")}  # fmt: skip


def test_a_stop_written_after_another_drugs_name_is_that_drugs() -> None:
    text = "[복용약]\n플라빅스정 75mg 1T qd 자렐토 중단하는 동안 대신 복용(27.03.01~), 시술 전날까지\n"
    assert _statuses(text) == {"플라빅스정": ("new", None)}


def test_a_dose_given_at_a_clock_time_is_new_and_a_last_dose_time_is_not() -> None:
    text = ("[복용약]\nAspirin 100mg qd (마지막 복용 03/02 08:00)\n\nTx (ER)\n 14:20 Ondansetron 4mg IV\n"
            " 14:25 Metronidazole 500mg IV (피부절개 전, 14:25)\n")  # fmt: skip
    assert _statuses(text) == {"Aspirin": (None, None), "Ondansetron": ("new", None), "Metronidazole": ("new", None)}


def test_a_plan_starts_a_drug_the_record_has_not_named_and_keeps_one_it_has() -> None:
    text = ("S) 고혈압으로 암로디핀 5mg 1일 1회 복용 중\nP)\n - 암로디핀 5mg 1일 1회\n"
            " - 글리메피리드 2mg 1일 1회 유지\n - 요통: 쎄레브렉스캡슐 200mg 1C qd\n")  # fmt: skip
    assert _statuses(text) == {"암로디핀": (None, None), "글리메피리드": (None, None), "쎄레브렉스캡슐": ("new", None)}


def test_a_drug_resumed_later_in_the_record_is_current_again() -> None:
    text = ("▶ 경과\n   자렐토정 20mg은 시술 전날 아침 마지막 복용 후 중단하였고\n"
            "[퇴원 시 투약]\n   자렐토정 20mg 1T qd (유지, 2027.04.02 재개)\n"
            "   메트포르민 500mg bid 중단\n")  # fmt: skip
    assert _statuses(text) == {"자렐토정": (None, None), "메트포르민": ("stopped", None)}
