"""Two readings of a clean page merged word by word (referral/ocr/merge.py): the sharp page's numbers, the grey
page's Hangul, a check wherever the two differ on a number, and no line lost that either reading found."""

from __future__ import annotations

from referral.ocr.merge import merge_readings
from referral.ocr.models import OcrWord


def _word(text: str, left: int, top: int, confidence: float = 90.0, line: int = 0) -> OcrWord:
    return OcrWord(text=text, box=(left, top, left + 30 * len(text), top + 40), confidence=confidence, line=line)


def _text(words: list[OcrWord]) -> list[str]:
    lines: dict[int, list[str]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word.text)
    return [" ".join(texts) for _, texts in sorted(lines.items())]


def test_hangul_from_the_grey_page_and_numbers_from_the_sharp_one() -> None:
    sharp = [_word("환자명:", 100, 100), _word("ove", 400, 100, 40.0), _word("Hb", 100, 200, line=1),
             _word("11.4", 300, 200, 93.0, line=1), _word("g/dL", 500, 200, line=1)]  # fmt: skip
    grey = [_word("환자명:", 100, 102), _word("홍길동", 400, 102, 88.0), _word("Hb", 100, 201, line=1),
            _word("114", 300, 201, 96.0, line=1), _word("g/dL", 500, 201, line=1)]  # fmt: skip
    words, checks = merge_readings(sharp, grey)
    assert _text(words) == ["환자명: 홍길동", "Hb 11.4 g/dL"]
    assert [(c.text, c.line, c.why) for c in checks] == [("11.4", 1, "readings_differ")]


def test_a_number_stays_as_the_sharp_page_reads_it_unless_the_grey_reading_is_far_surer() -> None:
    sharp = [_word("3.8", 100, 100, 91.0), _word("7", 300, 100, 10.0)]
    grey = [_word("38", 100, 100, 96.0), _word("약제", 300, 100, 92.0)]
    words, checks = merge_readings(sharp, grey)
    assert [w.text for w in words] == ["3.8", "약제"]  # the point stays; a speck read as 7 gives way to the word
    assert {c.text for c in checks} == {"3.8", "7"}


def test_a_known_clinical_word_wins_over_a_garbled_one() -> None:
    sharp = [_word("HbAtc", 100, 100, 80.0), _word("qd", 400, 100, 70.0), _word("ad", 600, 100, 92.0)]
    grey = [_word("HbA1c", 100, 100, 50.0), _word("ad", 400, 100, 95.0), _word("‘bid", 600, 100, 71.0)]
    words, checks = merge_readings(sharp, grey)
    assert [w.text for w in words] == ["HbA1c", "qd", "‘bid"]  # a test's name even read less surely, no surer
    assert [c.text for c in checks] == ["HbAtc"]  # guess over the sharp page; the names differ by a digit: a check


def test_the_decimal_point_either_reading_shows_is_kept() -> None:
    sharp = [_word("3,71", 100, 100, 86.0), _word("6.2", 300, 100, 80.0)]
    grey = [_word("3.71", 100, 100, 97.0), _word("62", 300, 100, 99.0)]
    words, checks = merge_readings(sharp, grey)
    assert [w.text for w in words] == ["3.71", "6.2"]
    assert len(checks) == 2


def test_a_line_only_one_reading_found_is_kept_in_page_order() -> None:
    sharp = [_word("첫줄", 100, 100), _word("셋째줄", 100, 300, line=1)]
    grey = [_word("첫줄", 100, 100), _word("둘째줄", 100, 200, line=1)]
    words, checks = merge_readings(sharp, grey)
    assert _text(words) == ["첫줄", "둘째줄", "셋째줄"] and not checks
    assert merge_readings([], grey)[0] == [w.model_copy(update={"line": i}) for i, w in enumerate(grey)]


def test_a_line_only_the_grey_page_found_is_kept_only_when_read_surely() -> None:
    sharp = [_word("첫줄", 100, 100)]
    grey = [_word("첫줄", 100, 100), _word("-.~", 100, 200, 35.0, line=1), _word("둘째줄", 100, 300, 88.0, line=2)]
    words, _ = merge_readings(sharp, grey)
    assert _text(words) == ["첫줄", "둘째줄"]  # a fax's speckle read as a line of noise is left out


def test_a_word_only_the_grey_page_found_joins_a_line_only_when_read_surely() -> None:
    sharp = [_word("Na", 100, 100), _word("139", 300, 100), _word("mmol/L", 700, 100)]
    grey = [_word("Na", 100, 100), _word("가", 200, 100, 45.0), _word("139", 300, 100), _word("|", 500, 100, 96.0),
            _word("(L)", 560, 100, 91.0), _word("mmol/L", 700, 100)]  # fmt: skip
    words, _ = merge_readings(sharp, grey)
    assert _text(words) == ["Na 139 (L) mmol/L"]  # not a ruling read as a bar, nor a speck read as a syllable


def _reader(*readings: list[OcrWord]):  # type: ignore[no-untyped-def]
    """A third reading per box asked for, in order; the boxes asked for are kept to be checked."""
    asked: list[tuple[int, int, int, int]] = []

    def read_again(boxes: list[tuple[int, int, int, int]]) -> list[list[OcrWord]]:
        asked.extend(boxes)
        return list(readings[: len(boxes)])

    return read_again, asked


def test_a_third_reading_of_the_box_settles_two_readings_that_differ_on_a_number() -> None:
    sharp = [_word("수술력:", 100, 100), _word("202214", 400, 100, 38.0), _word("개복술", 700, 100)]
    grey = [_word("수술력:", 100, 100), _word("2022", 400, 100, 51.0), _word("개복술", 700, 100)]
    read_again, asked = _reader([_word("2022", 400, 100, 91.0), _word("년", 530, 100, 93.0)])
    words, checks = merge_readings(sharp, grey, read_again)
    assert _text(words) == ["수술력: 2022 년 개복술"]  # the year's 년 the sharp page read as digits
    assert asked == [(400, 100, 580, 140)]  # the box of both readings of the word, read once
    assert [c.text for c in checks] == ["202214"]  # still a check: the readings differed


def test_a_third_reading_stands_only_when_sure_and_agreeing_with_one_reading_on_every_number() -> None:
    sharp = [_word("202214", 400, 100, 38.0)]
    grey = [_word("2022", 400, 100, 51.0)]
    for third in ([_word("2021년", 400, 100, 95.0)], [_word("2022년", 400, 100, 60.0)], []):
        words, _ = merge_readings(sharp, grey, _reader(third)[0])
        assert [w.text for w in words] == ["202214"]  # a third number, an unsure reading, nothing read: as before
    dose = [_word("5g", 400, 100, 95.0)]
    words, _ = merge_readings(dose, [_word("59", 400, 100, 96.0)], _reader([_word("59", 400, 100, 97.0)])[0])
    assert [w.text for w in words] == ["5g"]  # a dose the vocabulary knows never gives way to a bare number


def test_a_third_reading_never_drops_a_decimal_point_the_kept_reading_shows() -> None:
    sharp = [_word("3.71", 100, 100, 80.0)]
    grey = [_word("371", 100, 100, 90.0)]
    words, _ = merge_readings(sharp, grey, _reader([_word("371", 100, 100, 97.0)])[0])
    assert [w.text for w in words] == ["3.71"]
