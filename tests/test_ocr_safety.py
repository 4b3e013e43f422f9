"""OCR that is safe first: image re-reads of codes and Latin words, per-page clean-up, table rows, checks."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from referral.ocr import LANG
from referral.ocr.code_letters import read_code_letters
from referral.ocr.engine import ocr_image
from referral.ocr.models import OcrWord
from referral.ocr.preprocess import NOISY, clear_rules_and_specks, speck_noise
from referral.ocr.reread import read_dose_ones, takes_second_reading
from referral.ocr.tables import table_rows
from referral.pdf import FONT_DIR


def _word_image(text: str, face: Path = FONT_DIR / "NanumGothic.ttf", size: int = 42) -> tuple[Image.Image, OcrWord]:
    font = ImageFont.truetype(str(face), size)
    image = Image.new("L", (400, 100), 255)
    ImageDraw.Draw(image).text((20, 20), text, font=font, fill=0)
    left, top, right, bottom = ImageDraw.Draw(image).textbbox((20, 20), text, font=font)
    return image, OcrWord(text=text.replace("I", "1"), box=(left, top, right, bottom), confidence=90, line=0)


def _after(word: OcrWord, text: str) -> OcrWord:
    left = word.box[2] + 40
    return OcrWord(text=text, box=(left, word.box[1], left + 120, word.box[3]), confidence=95, line=word.line)


def test_code_letter_is_read_from_the_glyph_shape() -> None:
    """I10 misread as 110: the first glyph is a plain bar, so the code is I10; a real 110 keeps its 1."""
    for printed, expected in (("I10", "I10"), ("(I25.1)", "(I25.1)"), ("110", "110"), ("(125.1)", "(125.1)")):
        image, word = _word_image(printed)
        words, rereads = read_code_letters(image, [word, _after(word, "고혈압")])
        assert words[0].text == expected, printed
        assert bool(rereads) == (expected != word.text)
        assert all(r.reason == "code_letter" and r.box == word.box for r in rereads)


# faces an EMR prints Latin in: a plain-bar I (gothic, sans), a serif I (myeongjo, serif, and the monospace faces)
FACES = [FONT_DIR / name for name in ("NanumGothic.ttf", "NanumGothicCoding.ttf", "NanumMyeongjo.ttf")] + [
    Path("/usr/share/fonts/truetype/dejavu") / name
    for name in ("DejaVuSans.ttf", "DejaVuSansMono.ttf", "DejaVuSerif.ttf")
]


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_capital_i_with_or_without_serifs_is_told_from_a_one_with_its_flag(face: Path) -> None:
    for size in (28, 42):
        for printed in ("I10", "(I48.9)", "110", "(148.9)", "(125.1)"):
            image, word = _word_image(printed, face, size)
            words, _ = read_code_letters(image, [word, _after(word, "고혈압")])
            assert words[0].text == printed, (face.stem, size, printed)


def test_a_word_after_a_code_is_no_unit_unless_it_is_one() -> None:
    image, word = _word_image("(I21.1),")
    assert read_code_letters(image, [word, _after(word, "Killip")])[0][0].text == "(I21.1),"
    assert read_code_letters(image, [word, _after(word, "bpm")])[0][0].text == "(121.1),"


def test_code_letter_only_where_a_code_is_printed() -> None:
    """The same bar-shaped glyph before a unit, or alone on a line without a code heading, is left as read."""
    image, word = _word_image("I10")
    assert read_code_letters(image, [word, _after(word, "mg/dL")])[0][0].text == "110"
    assert read_code_letters(image, [word])[0][0].text == "110"
    heading = OcrWord(text="상병코드", box=(0, 0, 10, 10), confidence=95, line=0)
    assert read_code_letters(image, [heading, word])[0][1].text == "I10"


def test_a_number_in_the_middle_of_a_line_before_a_korean_word_is_no_code() -> None:
    """A code column's code opens its line (after a bullet or a rank at most): a room number before 병동, or a
    bar and digits inside a prescription line, keep their digits, though the glyph is a bar."""
    image, word = _word_image("I01")

    def before(text: str) -> OcrWord:
        return OcrWord(text=text, box=(0, word.box[1], 12, word.box[3]), confidence=95, line=word.line)

    assert read_code_letters(image, [before("입원:"), word, _after(word, "호실")])[0][1].text == "101"
    assert read_code_letters(image, [before("2C"), word, _after(word, "일2회")])[0][1].text == "101"
    assert read_code_letters(image, [before("부"), word, _after(word, "류마티스열")])[0][1].text == "I01"
    assert read_code_letters(image, [before("2)"), word, _after(word, "류마티스열")])[0][1].text == "I01"


def test_a_code_beside_the_name_the_lexicon_gives_it_is_in_a_code_s_place() -> None:
    """At the end of a line after its name, a qualifier inside the name or not ("급성(재발성) 심근경색증 121.9"),
    the glyph is read; beside another name, or part of the name, the digits stay."""
    image, word = _word_image("I21.9")

    def before(text: str) -> OcrWord:
        return OcrWord(text=text, box=(0, word.box[1], 12, word.box[3]), confidence=95, line=word.line)

    assert read_code_letters(image, [before("주 급성(재발성)"), before("심근경색증"), word])[0][2].text == "I21.9"
    assert read_code_letters(image, [word, _after(word, "급성 심근경색증")])[0][0].text == "I21.9"
    assert read_code_letters(image, [before("공복혈당"), word])[0][1].text == "121.9"
    assert read_code_letters(image, [before("심근경색증"), word])[0][1].text == "121.9"  # not the lexicon's name
    printed, number = _word_image("121.9")  # a number printed beside the name: its 1 has its flag
    assert read_code_letters(printed, [before("급성 심근경색증, 수치"), number])[0][1].text == "121.9"


def test_code_letter_needs_a_real_code() -> None:
    image, word = _word_image("I99.9")  # I99.9 is no ICD-10 code: the reading stays as it was
    misread = word.model_copy(update={"text": "199.9"})
    assert read_code_letters(image, [misread, _after(word, "고혈압")])[0][0].text == "199.9"


def _line_with_dates(printed: str, face: Path, size: int, blur: float) -> tuple[Image.Image, list[OcrWord]]:
    """Two dates full of 1s, then the code (its I read as 1), printed on one line and blurred as a fax blurs it
    (blur 0: as printed); the words with their boxes as the models read them."""
    font = ImageFont.truetype(str(face), size)
    image = Image.new("L", (80 + size * 30, 3 * size), 255)
    draw, words, left = ImageDraw.Draw(image), [], 20
    for text in ("2021-11-15", "2011-10-19", printed):
        draw.text((left, size), text, font=font, fill=0)
        box = draw.textbbox((left, size), text, font=font)
        words.append(OcrWord(text=text.replace("I", "1"), box=box, confidence=95, line=0))
        left = box[2] + size
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur)).point(lambda v: 0 if v < 190 else 255)
    return image, words + [_after(words[-1], "고혈압")]


def test_on_a_page_whose_ones_pass_for_i_no_one_is_read_as_i() -> None:
    """A fax that blurs a 1's flag away makes it a plain bar: where the page's own 1s (the dates') pass the I test,
    a 1 in a code's place stays a 1, and the reviewer checks it."""
    for face in (FONT_DIR / "NanumGothic.ttf", FONT_DIR / "NanumMyeongjo.ttf", FACES[-1]):
        for printed in ("(148.9)", "(163.4)"):
            image, words = _line_with_dates(printed, face, 24, 1.2)
            assert read_code_letters(image, words)[0][2].text == printed, (face.stem, printed)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_faxed_serif_i_with_short_even_serifs_or_a_speck_under_it_is_read(face: Path) -> None:
    """A fax thickens a serif I's stem until its serifs reach out a pixel or two, on both sides alike: still an I
    (a 1's flag reaches farther left than anything on its right); on the page as printed every I is read."""
    for printed in ("(I48.9)", "(I63.4)"):
        assert read_code_letters(*_line_with_dates(printed, face, 42, 0))[0][2].text == printed, face.stem
    if face.stem in ("NanumMyeongjo", "DejaVuSerif"):
        image, words = _line_with_dates("(I48.9)", face, 42, 1.2)
        assert read_code_letters(image, words)[0][2].text == "(I48.9)", face.stem
        left, _, right, bottom = words[2].box
        at = left + (right - left) // 7  # under the I, apart from it
        ImageDraw.Draw(image).rectangle((at, bottom + 5, at + 2, bottom + 7), fill=0)
        specked = words[:2] + [words[2].model_copy(update={"box": (left, words[2].box[1], right, bottom + 8)})]
        assert read_code_letters(image, specked + words[3:])[0][2].text == "(I48.9)", face.stem


def test_clean_page_keeps_thin_strokes_and_noisy_page_is_measured() -> None:
    font = ImageFont.truetype(str(FONT_DIR / "NanumGothic.ttf"), 28)
    clean = Image.new("L", (1240, 400), 255)
    ImageDraw.Draw(clean).text((40, 40), "Creatinine 2.1 mg/dL   2026-06-03   Ki-67 15%", font=font, fill=0)
    clean.info["dpi"] = (150, 150)
    noisy = clean.copy()
    rng = random.Random(1)
    for _ in range(4000):
        noisy.putpixel((rng.randrange(1240), rng.randrange(400)), 0)
    assert speck_noise(clean.point(lambda v: 0 if v < 128 else 255)) < NOISY
    assert speck_noise(noisy.point(lambda v: 0 if v < 128 else 255)) > NOISY
    page = ocr_image(clean, 1, LANG)
    assert page.noise < NOISY
    assert "2.1" in page.text and "2026-06-03" in page.text


def test_a_faxed_page_is_read_without_its_table_rules_and_specks_but_keeps_every_decimal_point() -> None:
    """Rules are taken out however slanted, lone specks too; the dots of 12.4 and 2026.06.30 sit beside their
    digits and stay. The page image kept for the reviewer is the page as scanned, rules included."""
    font = ImageFont.truetype(str(FONT_DIR / "NanumGothic.ttf"), 34)
    page = Image.new("L", (1800, 420), 255)
    draw = ImageDraw.Draw(page)
    for y in (60, 140, 220):
        draw.line([(40, y), (1760, y + 4)], fill=0, width=3)  # a slight slant, as a fax feeds it
    for x in (40, 600, 1000, 1760):
        draw.line([(x, 60), (x + 1, 224)], fill=0, width=3)
    draw.text((60, 80), "Hemoglobin", font=font, fill=0)
    draw.text((620, 80), "12.4 g/dL", font=font, fill=0)
    draw.text((1020, 80), "2026.06.30", font=font, fill=0)
    specks = [(300, 320), (900, 360), (1500, 300), (1200, 390)]
    for x, y in specks:
        draw.rectangle((x, y, x + 2, y + 2), fill=0)
    cleared = clear_rules_and_specks(page)
    ink = lambda image, box: int((np.asarray(image.crop(box)) < 128).sum())  # noqa: E731
    assert ink(cleared, (40, 0, 1760, 420)) < ink(page, (40, 0, 1760, 420)) - 6000  # the rules are gone
    assert ink(cleared, (1600, 58, 1700, 70)) == 0 and ink(cleared, (598, 150, 606, 210)) == 0
    assert all(ink(cleared, (x - 1, y - 1, x + 4, y + 4)) == 0 for x, y in specks)
    letters = (62, 78, 590, 132), (622, 78, 990, 132), (1022, 78, 1400, 132)
    assert all(ink(cleared, box) == ink(page, box) for box in letters)  # no pixel of a letter or a dot is lost


def _text_lines(page: Image.Image, face: Path) -> Image.Image:
    """Lines whose letters have many flat strokes (ㅡ under a consonant, E, Z, dashes), as a table's cells."""
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(face if face.stem.startswith("Nanum") else FONT_DIR / "NanumGothic.ttf"), 30)
    draw.text((60, 66), "그르트 프르트 흐르르  Hemoglobin 12.4 g/dL  2026-06-30", font=font, fill=0)
    draw.text((60, 106), "ㅡ그르느 TEFE -- ==== 1.5 mL/min/1.73m²", font=font, fill=0)
    draw.text((60, 170), "Zz EEE 프로트롬빈 시간 ---- 2.5/5", font=ImageFont.truetype(str(face), 30), fill=0)
    return page


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_ruling_the_fax_broke_into_pieces_is_taken_out_and_no_letter_beside_it(face: Path) -> None:
    """A fax drops bits of a ruling: pieces shorter than a ruling's length with gaps between them. They are a
    ruling still (a thin band mostly of ink, nothing just above or below it); a line of text, however many
    flat strokes its letters have, has ink beside each of them and keeps every pixel it keeps without rulings."""
    rng = random.Random(7)
    page = Image.new("L", (1800, 330), 255)
    draw = ImageDraw.Draw(page)
    for y in (50, 150, 250):
        x = 40
        while x < 1760:
            piece = rng.randrange(20, 80)
            draw.rectangle((x, y + rng.randrange(2), x + piece, y + 2), fill=0)
            x += piece + rng.randrange(4, 12)
    cleared = clear_rules_and_specks(_text_lines(page, face))
    bare = clear_rules_and_specks(_text_lines(Image.new("L", page.size, 255), face))
    ink = lambda image, box: int((np.asarray(image.crop(box)) < 128).sum())  # noqa: E731
    assert all(ink(cleared, (0, y - 2, 1800, y + 5)) < 60 for y in (50, 150, 250))  # the pieces are gone
    letters = (0, 58, 1800, 145), (0, 158, 1800, 245)
    assert ink(bare, letters[0]) > 4000
    assert all(ink(cleared, box) == ink(bare, box) for box in letters)  # no pixel of a letter is lost


def test_table_rows_keep_cells_together() -> None:
    def w(text: str, left: int, line: int = 0) -> OcrWord:
        box = (left, 100 * line, left + 20 * len(text), 100 * line + 30)
        return OcrWord(text=text, box=box, confidence=95, line=line)

    words = [w("Total", 0), w("cholesterol", 110), w("176", 600), w("mg/dL", 900), w("<200", 1300),
             w("주", 0, 1), w("메모", 60, 1)]  # fmt: skip
    rows = table_rows(words)
    assert [[c.text for c in r.cells] for r in rows] == [["Total cholesterol", "176", "mg/dL", "<200"]]
    assert rows[0].line == 0 and rows[0].cells[1].box == (600, 0, 660, 30)


def _word(text: str, confidence: float) -> OcrWord:
    return OcrWord(text=text, confidence=confidence, box=(100, 100, 180, 130), line=0)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("3.6", "36"),  # the crop lost a thin decimal point
        ("2.14", "2,14"),  # ... or took it for a comma
        ("2025.03.17", "2025,03.17"),
        ("127", "27"),  # a number read in its line: the crop dropped a digit at its edge
        ("8", "81"),  # ... or gained one
        ("therapy", "therapy="),  # marks from the crop's margin
        ("(2024.11.02)", "(2024.11.02)!"),
        ("1", "1g"),  # a unit letter from the next word's edge, read less surely
        ("Ferritin", "Ferritln"),  # a name the result sheets print stays as read
        ("Anti-HBs", "Anti~HBs"),
        ("TACE", "TACF"),  # ... and a procedure's
    ],
)
def test_the_second_reading_never_makes_a_crop_s_own_changes(first: str, second: str) -> None:
    assert not takes_second_reading(_word(first, 80.0), second, 95.0 if second != "1g" else 50.0)


@pytest.mark.parametrize(
    ("first", "second", "confidence"),
    [
        ("2.59", "2.5mg", 60.0),  # the Korean model read "mg" as 9: a unit the vocabulary knows wins
        ("10000", "100mg", 90.0),
        ("16,0-18.0", "16.0-18.0", 85.0),  # a comma taken for a point: the point is restored
        ("35mg", "3.5mg", 90.0),
        ("(611.9)", "(E11.9)", 90.0),
    ],
)
def test_the_second_reading_wins_where_it_reads_print(first: str, second: str, confidence: float) -> None:
    assert takes_second_reading(_word(first, 80.0), second, confidence)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_dose_s_one_read_as_a_letter_is_read_from_its_flag(face: Path) -> None:
    for size in (28, 42):
        for printed, read in (("1mg", "Img"), ("15mg", "I5mg"), ("(1T)", "(lT)")):
            image, word = _word_image(printed, face, size)
            words, rereads = read_dose_ones(image, [word.model_copy(update={"text": read})])
            assert words[0].text == printed, (face.stem, size, printed)
            assert [(r.reason, r.before, r.after) for r in rereads] == [("dose_one", read, printed)]


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_capital_i_or_a_bar_before_a_unit_is_no_one(face: Path) -> None:
    for printed in ("Img", "|mg", "IT"):  # a plain bar, a rule, an I with even serifs: left for the reviewer
        image, word = _word_image(printed, face, 42)
        words, rereads = read_dose_ones(image, [word.model_copy(update={"text": printed})])
        assert words[0].text == printed and not rereads, (face.stem, printed)
    image, word = _word_image("Imaging", face, 42)  # no unit after the bar: not a dose
    assert read_dose_ones(image, [word.model_copy(update={"text": "Imaging"})])[0][0].text == "Imaging"


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_bracketed_code_boxed_off_its_ink_is_read_where_its_glyphs_stand(face: Path) -> None:
    """In a line of Hangul and Latin the models may box a word half its width to one side: the code's glyphs are
    found beside the box (its brackets at both ends) and read there; a 1 printed there stays a 1."""
    font = ImageFont.truetype(str(face), 42)
    for printed, expected in (("(I10)", "(I10)"), ("(110)", "(110)"), ("(I25.1)", "(I25.1)")):
        image = Image.new("L", (900, 130), 255)
        draw = ImageDraw.Draw(image)
        draw.text((20, 40), f"고혈압{printed}과 만성", font=font, fill=0)
        left = 20 + round(draw.textlength("고혈압", font=font))
        box = draw.textbbox((left, 40), printed, font=font)
        shift = (box[2] - box[0]) * 3 // 5  # boxed three fifths of its width to the right
        moved = (box[0] + shift, box[1], box[2] + shift, box[3])
        word = OcrWord(text=printed.replace("I", "1"), box=moved, confidence=60, line=0)
        assert read_code_letters(image, [word])[0][0].text == expected, (face.stem, printed)
