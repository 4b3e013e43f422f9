"""The default summarisation backend: a deterministic clinical extractor for Korean and English records.

It never invents: every item is a span of the source, found by section headings (주소/Chief complaint,
진단/Diagnosis, 투약/Medications, 알레르기, 검사/Labs, 영상, 병리, 계획/Plan ...) and by medication, lab,
date, code and unit patterns."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from referral.summary.allergies import no_allergy_sentences, reactions_told, read_allergies
from referral.summary.cells import page_cells
from referral.summary.coded import CODE, code_of, coded_parts, letter_read_as_digit
from referral.summary.dates import DateContext, dates_in
from referral.summary.findings import is_procedure_label, is_threshold, labs_in, medications_in
from referral.summary.footnotes import date_by_footnotes
from referral.summary.models import (
    Allergy,
    ClinicalSummary,
    LabResult,
    Medication,
    PathologyFinding,
    Problem,
    Statement,
)
from referral.summary.pathology import field_of, one_line
from referral.summary.plausible import plausible_lab
from referral.summary.prose import letters_and_marks, list_parts
from referral.summary.reading import Builder, add_findings, add_procedures, add_table_item, merge_retold
from referral.summary.sections import Line, last_section, lines_of
from referral.summary.source import SourcePage
from referral.summary.spans import evidence_of, span_in
from referral.summary.spoken import spoken_allergies, spoken_medications, spoken_no_allergies
from referral.summary.tables import TableItem, read_tables
from referral.summary.vocabulary import ingredient, is_antithrombotic, statement_cues

BACKEND = "clinical-extractor-1"

DOSE = re.compile(  # starting no number part-way, as findings.DOSE
    r"(?<![\d./])(?<!/[A-Za-z])(?P<dose>\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|g|mL|ml|L|IU|iu|units?|unt/ml|mg/ml|mg/mL|%|정|캡슐|T|C)\b(?:/[a-zA-Z]+)?)"
)
TRAILING_CLAUSE = re.compile(r"\s+(?:started|stopped|since|for|daily|a day|every|as needed|prn)\b.*$", re.I)
LEADING_VOLUME = re.compile(r"^\s*\d+(?:\.\d+)?\s*(?:ml|mL)\s+(?=[A-Za-z가-힣])")
ROUTE = re.compile(
    r"\b(oral|po|iv|sc|im|sl|inhal\w*|injection|injectable|topical|patch|경구|정맥|피하|근육|흡입)\b", re.I
)
FREQ = re.compile(
    r"(1일\s*\d\s*회|\d\s*times?\s*(?:a|per)\s*day|\b(?:qd|bid|tid|qid|qhs|prn|q\d+h|daily|twice daily|once daily"
    r"|at bedtime)\b|취침\s*전|필요\s*시|아침|저녁)",
    re.I,
)
LAB = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z0-9\-/ ]{0,24}?)(?:\s*[:=]\s*|\s+)(?P<value>[<>≤≥]?\s?\d+(?:\.\d+)?)\s*"
    r"(?P<unit>[A-Za-zµ%/^0-9.]+(?:/[A-Za-z0-9.]+)*)?(?:\s*\((?:참고치|ref\.?|정상)?\s*(?P<range>[^)]*\d[^)]*)\))?"
)
NO_MEDICATION = re.compile(r"^(없음|무|none|no active medications?|no current medications?)\.?$", re.I)
HISTORY_OF = re.compile(
    r"(?:history of|hx of|presenting with|presents with|diagnosed with|diagnosis of)\s+(?P<list>.+?)(?:\.(?:\s|$)|$)",
    re.I,
)
_STATEMENT_SECTIONS = {"chief_complaint": "chief_complaint", "course": "hospital_course", "plan": "plan",
                       "pending": "pending_results"}  # fmt: skip


SENTENCE_END = re.compile(r"(?:니다|습니다|입니다|하였|했음|했다|였음|바람)\s*\.?\s*$")
# what a line under a diagnosis heading says that is no diagnosis: a footnote, a dated event, social history,
# "same as above", prose of several sentences
NOT_A_DIAGNOSIS = re.compile(
    r"^\s*(?:※(?!.*(?:배제|ruled?\s*out|excluded))|\(?(?:19|20)\d{2}[./년])|^(?:smoking|alcohol|흡연|음주|same|동일|상동)\b"
    r"|[A-Za-z가-힣)]\.\s+\S|\(\s*-\s*\)|\d\s*점(?![가-힣])|^\s*[\[【<〈《]",
    re.I,
)


def _diagnosis_shaped(text: str) -> bool:
    """An uncoded line can name a diagnosis: letters, not mostly marks (a table rule OCR'd), no strength or lab
    value, not a sentence, not a footnote or social history."""
    letters, marks = letters_and_marks(text)
    return (
        letters >= 2 and marks <= max(1, len(text) // 10) and not NOT_A_DIAGNOSIS.search(text)
        and not DOSE.search(text) and not labs_in(text) and not SENTENCE_END.search(text)
    )  # fmt: skip


def _problem(page: SourcePage, line: Line, text: str) -> tuple[str, Problem] | None:
    code_match = CODE.search(text)
    code = code_of(code_match) if code_match else None
    name = CODE.sub("", text).strip(" ,;:-") if code else text.strip(" ,;:-")
    if code is None and (misread := letter_read_as_digit(text)):  # "심부전 (150.9)", the name corroborating
        code, name = misread[1], (text[: misread[0].start()] + text[misread[0].end() :]).strip(" ,;:-.")
        name = re.sub(r"\s*\(\s*\)?$|\s*\)$", "", name)
    elif code is None and not _diagnosis_shaped(text.strip()):
        return None
    if not name and not code:
        return None
    start, end = span_in(line, text.strip())
    return (code or name), Problem(
        name=name or (code or ""), code=code, evidence=evidence_of(page, start, end, line.number)
    )


def _medication(page: SourcePage, line: Line, text: str, require_dose: bool) -> tuple[str, Medication] | None:
    volume = LEADING_VOLUME.match(text)  # "1 ml epoetin alfa 4000 unt/ml injection": the volume is not the name
    dose = DOSE.search(text, volume.end() if volume else 0)
    if dose is None and require_dose:
        return None
    name = (text[volume.end() if volume else 0 : dose.start()] if dose else text).strip(" ,;:-")
    name = TRAILING_CLAUSE.sub("", name) if not dose else name  # "Aldex started on Monday" names Aldex
    if not name or not re.search(r"[A-Za-z가-힣]", name) or len(name) > 80:
        return None
    route, freq = ROUTE.search(text), FREQ.search(text)
    dates = dates_in(text)
    start, end = span_in(line, text.strip())
    return text.strip().lower(), Medication(
        name=name, dose=dose.group("dose") if dose else None, route=route.group(1) if route else None,
        frequency=freq.group(1) if freq else None, start=dates[0] if dates else None,
        stop=dates[1] if len(dates) > 1 else None, evidence=evidence_of(page, start, end, line.number),
    )  # fmt: skip


def _lab(page: SourcePage, line: Line) -> tuple[str, LabResult] | None:
    match = LAB.match(line.text)
    if match is None or not re.search(r"[A-Za-z]{1,}", match.group("name")):
        return None
    if re.match(r"[가-힣)]", line.text[match.end("value") :]):
        return None  # "240투여량", "3개월": a number running into a Korean word is no result; "4) IU/L" misread
    if is_threshold(match.group("value"), line.text, match.end("value")):
        return None
    if match.group("unit") and not re.search(r"[A-Za-zµμ%]", match.group("unit")):
        return None  # "BP 118/72", "압통 관절 3 / 28": a ratio or a count, not a result and its unit
    if not re.search(r"[A-Za-zµμ%]", match.group("unit") or "") and re.match(
        r"[\s|ㆍ·.,_:]*\d", line.text[match.end("value") :]
    ):
        return None  # "Hb 0. 13.9 g/dL": a second number after the value, which is the result cannot be told
    if not plausible_lab(match.group("name").strip(), match.group("value").replace(" ", ""), match.group("unit")):
        return None
    low_flag = match.group("unit") in ("H", "L") and re.match(r"\s+\S*/", line.text[match.end("unit") :])
    unit, flag = (None, match.group("unit")) if low_flag else (match.group("unit"), None)  # not litres: "4.38 L 10°6/"
    dates = dates_in(line.text)
    reference = match.group("range") if match.group("range") and not dates_in(match.group("range")) else None
    return match.group("name").strip().lower(), LabResult(
        name=match.group("name").strip(), value=match.group("value").replace(" ", ""), unit=unit, flag=flag,
        reference_range=reference, date=dates[0] if dates else None,
        evidence=evidence_of(page, line.start, line.end, line.number),
    )  # fmt: skip


def _split_list(line: Line, separators: str) -> Iterable[str]:
    return [part for part in re.split(separators, line.text) if part.strip()]


def _history_list(builder: Builder, page: SourcePage, line: Line) -> bool:
    """ "history of A, B and C." / "presenting with A, B." anywhere: each named condition is a problem."""
    history = HISTORY_OF.search(line.text)
    if not history:
        return False
    for part in re.split(r",\s*|\s+and\s+", history.group("list")):
        made = _problem(page, line, part) if part.strip() else None
        if made:
            builder.add(builder.summary.problems, *made)
    return True


def _handle(builder: Builder, page: SourcePage, line: Line) -> None:
    summary = builder.summary
    section = line.section
    if section != "allergies":
        reactions_told(builder, page, line)
    if section not in ("problems", "medications", "allergies") and _history_list(builder, page, line):
        return

    def add_each(target: list[Any], parts: Iterable[str], make: Callable[[str], tuple[str, Any] | None]) -> None:
        for part in parts:
            made = make(part)
            if made is not None:
                builder.add(target, *made)

    if section == "problems":
        coded = [c for part in _split_list(line, r";") for c in coded_parts(part)]
        add_each(summary.problems, coded, lambda p: _problem(page, line, p))
        _findings(builder, page, line)  # a history line names its operation and date: "자궁적출술 (2010년)"
    elif section in ("medications", "stopped_medications"):
        if NO_MEDICATION.match(line.text.strip()):
            return  # "No active medications." states an absence, not a medication
        stopped = "stopped" if section == "stopped_medications" else None
        drugs, doses = medications_in(line.text, require_dose=False), len(DOSE.findall(line.text))
        # a Korean line names its drugs by the vocabulary or a product's shape, never as a whole line; an English
        # line too when every dose has its known drug; else it is a list of brands, read by parts below
        if re.search(r"[가-힣]", line.text) or (drugs and doses and len(drugs) >= doses):
            _findings(builder, page, line, require_dose=False, default_status=stopped)
            return
        # "a; b; c" lists (EMR exports), one item with its dose, or prose: "takes Lasix, Coumadin and Norvasc."
        prose = ";" not in line.text and (doses == 0 or (doses > 1 and " and " in line.text))
        parts = list_parts(line.text, skip_statements=True) if prose else _split_list(line, r";")
        add_each(summary.medications, parts, lambda p: _medication(page, line, p, False))
    elif section == "allergies":
        read_allergies(builder, page, line, _medication)
    elif section == "labs":
        if not _findings(builder, page, line):
            add_each(summary.labs, [line.text], lambda _: _lab(page, line))
    elif section == "imaging":
        _findings(builder, page, line, need_date=False)
    elif section == "pathology":
        label, colon, _ = line.text.partition(":")
        if colon and CODE.search(line.text) and field_of(label) is None:  # 임상진단: the clinical diagnosis
            _free_text(builder, page, line)
        elif colon and is_procedure_label(label):  # "수술명: ...": the operation the specimen came from
            _procedures(builder, page, line)
        elif field_of(label) is not None or not _findings(builder, page, line):  # a study or lab is not the report's
            builder.pathology.read(line.text, evidence_of(page, line.start, line.end, line.number))
            if field_of(label) == "specimen":  # "검체: Thyroid, US-guided FNA": taken on the report's 채취일
                _procedures(builder, page, line)
    elif section == "procedures":
        _findings(builder, page, line, need_date=False)
    elif section in _STATEMENT_SECTIONS or section in ("airway", "anesthesia"):
        target = {"airway": summary.anesthesia.airway, "anesthesia": summary.anesthesia.prior_anesthesia}.get(
            section, getattr(summary, _STATEMENT_SECTIONS.get(section, "plan"))
        )
        builder.add(
            target, line.text, Statement(text=line.text, evidence=evidence_of(page, line.start, line.end, line.number))
        )
        _one_line_pathology(builder, page, line)  # a letter's course gives a biopsy's result in passing
        no_allergy_sentences(builder, page, line)  # a history's line says so in passing
        _findings(builder, page, line, plan=section == "plan")
    else:
        _free_text(builder, page, line)


def _one_line_pathology(builder: Builder, page: SourcePage, line: Line) -> None:
    if found := one_line(line.text):  # "직장 생검: adenocarcinoma, poorly differentiated"
        evidence = evidence_of(page, line.start, line.end, line.number)
        builder.add(builder.summary.pathology, line.text, PathologyFinding(
            text=line.text, specimen=found["specimen"], diagnosis=found["diagnosis"], grade=found["grade"] or None,
            evidence=evidence))  # fmt: skip


def _free_text(builder: Builder, page: SourcePage, line: Line) -> None:
    """Outside the list sections: history-of lists, codes, lexicon drugs with a dose, "procedures" lists."""
    summary = builder.summary
    if CODE.search(line.text) and re.search(r"[가-힣A-Za-z]{2}", CODE.sub("", line.text)):
        for part in coded_parts(line.text):
            made = _problem(page, line, part)
            if made:
                builder.add(summary.problems, *made)
    _one_line_pathology(builder, page, line)
    no_allergy_sentences(builder, page, line)
    _findings(builder, page, line)


def _statements(builder: Builder, page: SourcePage, line: Line) -> None:
    """A pending result or a follow-up plan written outside its section ("객담 배양 결과 대기 중", "2주 후 외래
    예약"), for the omission checklist."""
    cues = statement_cues()
    for kind, own_section, target in (("pending", "pending", builder.summary.pending_results),
                                      ("follow_up", "plan", builder.summary.plan)):  # fmt: skip
        if line.section != own_section and cues[kind].search(line.text):
            evidence = evidence_of(page, line.start, line.end, line.number)
            builder.add(target, line.text, Statement(text=line.text, evidence=evidence))


def _findings(builder: Builder, page: SourcePage, line: Line, **options: Any) -> bool:
    return add_findings(builder, page, line.start, line.text, line.number, evidence_of, **options)


def _procedures(builder: Builder, page: SourcePage, line: Line) -> None:
    add_procedures(builder, page, line.start, line.text, line.number, evidence_of, need_date=False)


def _spoken(builder: Builder, page: SourcePage) -> None:
    """What a dictation or consultation says without sections: medications taken, allergies, no allergies."""
    summary = builder.summary
    for drug in spoken_medications(page.text):
        evidence = evidence_of(page, drug.sentence_start, drug.sentence_end, -1)
        builder.add(summary.medications, drug.name, Medication(
            name=drug.name, ingredient=ingredient(drug.name), dose=drug.dose, frequency=drug.frequency,
            evidence=evidence))  # fmt: skip
    for allergy in spoken_allergies(page.text):
        evidence = evidence_of(page, allergy.start, allergy.end, -1)
        builder.add(summary.allergies, allergy.text, Allergy(substance=allergy.text, evidence=evidence))
    for statement in spoken_no_allergies(page.text):
        evidence = evidence_of(page, statement.start, statement.end, -1)
        builder.add(summary.no_known_allergies, statement.text, Statement(text=statement.text, evidence=evidence))


def extract(pages: list[SourcePage]) -> ClinicalSummary:
    summary = ClinicalSummary(backend=BACKEND, source_keys=sorted({p.document_key for p in pages}))
    builder = Builder(summary)
    section: str | None = None
    previous_key = None
    for page in pages:
        if page.document_key != previous_key:
            section, previous_key = None, page.document_key
        builder.dates = DateContext(page.text)
        table_items, taken = read_tables(page_cells(page.text, page.words))
        rows: dict[int, list[TableItem]] = {}
        for item in table_items:
            rows.setdefault(item.line, []).append(item)
        for line in lines_of(page.text, section, keep=taken):  # in page order: a table row where it is printed
            if line.number in taken:
                for item in rows.get(line.number, []):
                    add_table_item(builder, page, item, evidence_of)
            else:
                _handle(builder, page, line)
                _statements(builder, page, line)
        if page.spoken:
            _spoken(builder, page)
        date_by_footnotes(summary.labs, page)
        section = last_section(page.text, section)
    merge_retold(summary)
    summary.anesthesia.comorbidities = list(summary.problems)
    summary.anesthesia.anticoagulants = [m for m in summary.medications if is_antithrombotic(m.ingredient or m.name)]
    if not summary.items():
        text_chars = sum(len(p.text.strip()) for p in pages)
        summary.empty_reason = (
            "no text in the source" if text_chars == 0 else f"no clinical content recognised in {len(pages)} page(s)"
        )
    return summary
