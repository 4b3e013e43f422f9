"""Items found by what a stretch of text is, wherever it is written: a laboratory test with its value ("Hb 14.1
g/dL, Creatinine 0.94 mg/dL"), a drug with its strength ("Amlodipine 5mg 1일 1회", "노바스크정 5mg"), a study
with its date ("2026.05.20 Chest CT"). Sentences of a letter with no headings are read the same way as a table
cell. Each finding keeps the span it was read from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from referral.lexicon import load_data
from referral.summary.coded import CODE
from referral.summary.dates import DATE, dates_in, dates_or_partial_in
from referral.summary.vocabulary import spaced_syllables, squeeze, statement_cues, study_type, vocabulary

# "200mg은", "5mg씩": a particle ends a dose; any other syllable makes it part of a word
_DOSE_PARTICLE = r"(?:은|는|을|를|이|가|으로|로|씩|과|와|까지|부터)(?![가-힣])"
# "850mgbid": a scan loses the space between a strength and its frequency
_FREQUENCY_ABBREVIATIONS = "|".join(load_data("dose_frequencies.yaml")["abbreviations"])
_GLUED_FREQUENCY = rf"(?:{_FREQUENCY_ABBREVIATIONS})\b"
NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
VALUE = re.compile(rf"[<>≤≥]?\s?{NUMBER}(?![\d/])")
# a dose starts no number part-way: never after a digit, a point or a slash, nor after a slash and a letter the scan
# made of a digit ("70/S600IU" is no 600IU, "8O/12.5mg" no 12.5mg)
DOSE = re.compile(
    rf"(?<![\d./])(?<!/[A-Za-z])(?P<dose>{NUMBER}(?:\s*/\s*{NUMBER})*\s*(?:mg|mcg|μg|µg|ug|g|mL|ml|L|IU|iu|units?|unit|단위|mEq|%|정|캡슐|T|C|tab"
    rf"|cap|puffs?|흡입|포|앰플|amp|vial|병)(?!(?!{_GLUED_FREQUENCY})[A-Za-z]|(?!{_DOSE_PARTICLE})[가-힣]|\s*/\s*d?L\b)(?:\s*/\s*(?:주|일|회|day|week|wk|kg|hr|h)(?![A-Za-z]))?)"
)
FREQUENCY = re.compile(
    r"(1일\s*\d\s*회|하루\s*(?:한|두|세|네|\d)\s*(?:번|회)|주\s*\d\s*회|매주\s*\S+요일|\d\s*times?\s*(?:a|per)\s*day"
    rf"|\b\d-\d-\d(?:-\d)?\b|\b(?:{_FREQUENCY_ABBREVIATIONS}|q\d+h|daily|twice daily|once daily|once weekly"
    r"|at bedtime)\b|취침\s*전|자기\s*전|필요\s*시|\S+\s*시(?=\s*(?:$|[,;)]))|식후|식전|아침|저녁)",
    re.I,
)
ROUTE = re.compile(r"(?<![A-Za-z])(PO|IV|SC|IM|SL|경구|정맥|피하주사|피하|근육|흡입|설하|패치)(?![A-Za-z])")
# a study's clause ends at a sentence's or a list's punctuation; a comma ends it too, with or without the space
# a scan may lose ("(2026.01.05,72시간 f/u)"), unless it groups a number's thousands ("3,150")
_STUDY_CLAUSE = re.compile(r"[.;:](?:\s|$)|,(?!\d{3}(?!\d))")
_GUIDING = re.compile(r"(?:-[A-Za-z]+)*\s*-?\s*(?:guided|fusion|targeted)\b", re.I)
_TIMED = re.compile(r"\s*\(\s*((?:[01]?\d|2[0-3]):[0-5]\d)\s*\)")  # a study's time of day, right after its name
_INSIDE = re.compile(r"[^()]*\([^()]*")  # from a study's name into the parentheses after it
_NO_STUDY = re.compile(r"\s*(?:\([^)]*\)\s*)?(?:없음|없었|없다|미시행|시행\s*안\s*함)")
# a comma ends a drug's clause unless it groups thousands ("Heparin 3,000 IU")
_CLAUSE_END = re.compile(r";|(?<!\d),|,(?!\d{3}(?!\d))|\s(?:및|and)\s|이며|이고")


@dataclass(frozen=True)
class Found:
    start: int  # offsets in the text given
    end: int
    fields: dict[str, str | None]


# Between a test's name and its value, and between the value and its unit, a scanned table leaves its rules and
# specks: "Creatinine | 1.07 mg/dL", "Hb ㆍ 10.4 g/dL", "BUN ~~ 21.7 _ mg/dL", "aPTT 28.9 . |sec", "TG 180 ‘mg/dL",
# "Lymphocyte 30.2 , %", "MCH 29.8 i pg" (a lone comma, i or ! after the value). A lone dot counts before another
# mark, or before a value that has its own decimal point ("Hb . 13.2"), never just before a whole number, where it
# could be the value's lost point ("Hb . 12" is not read).
_NAME_TAIL = re.compile(
    r"\s*(?:\((?P<note>[^)\d+±−-]{1,15})\))?(?:\s*(?:[:=|｜：ㆍ·;_]|~+(?=\s)|\.(?=\s+(?:[|｜ㆍ·:~]|\d+\.\d))))*\s*"
)
_THRESHOLD = re.compile(r"\s*(?:미만|이상|이하|초과|(?:or\s+)?(?:below|above|under|over|less|more)\b)", re.I)
_TARGET = re.compile(r"\s*(?:확인|유지|목표|도달|이면|되면|일\s*때|까지)")
# between a test's name and its value, a label ended by a colon: the day it was taken ("CLO test (2026.05.11):
# 양성") or words of Korean ("ALT 이전 결과: 38 IU/L"); a value after words needs its unit or is a word itself
_LABELLED = re.compile(r"\s*(?:\((?P<on>[^()]{6,14})\)|(?P<words>[가-힣]{1,4}(?:\s[가-힣]{1,4}){0,2}))\s*[:：]\s*")
_FLAG = re.compile(r"([HL])(?=[\s|｜ㆍ·;_])(?:\s*[|｜ㆍ·;_])*\s*")  # a high/low mark, then its unit (else L is litres)
_RULES = re.compile(r"(?:\s*(?:[|｜ㆍ·;_—~‘’'`]|\.(?=\s)|(?<=\s)[,i!](?=\s)))*\s*")


def labs_in(text: str) -> list[Found]:
    """Each known test name followed by a value: name, value, unit when a known unit follows, the date beside it."""
    vocab = vocabulary()
    found = []
    for name in vocab.lab.finditer(text):
        if re.search(r"[A-Za-z0-9]-$", text[: name.start()]):
            continue  # "DAS28-CRP": the name ends a longer one, a score's
        label = _LABELLED.match(text, name.end())
        on = dates_in(label["on"]) if label and label["on"] else []
        label = label if label and (on or label["words"]) else None
        tail = None if label else _NAME_TAIL.match(text, name.end())
        at = label.end() if label else tail.end() if tail else name.end()
        glued = at == name.end() and len(name.group(0)) <= 3  # "ALT40": a short name ran into its value
        value = VALUE.match(text, at)
        qualitative = vocab.qualitative.match(text, at) if value is None else None
        if value is None and qualitative is None or DATE.match(text, at):
            continue
        end = (value or qualitative).end()  # type: ignore[union-attr]
        if value and is_threshold(value.group(0), text, end):
            continue
        if text.startswith(")", end) and not _opened(text, name.start()):
            continue  # "GGT 4) IU/L": a bracket no one opened is a digit the scan misread, so the value is unknown
        gap = _RULES.match(text, end)
        at = gap.end() if gap else end
        flag = _FLAG.match(text, at)  # "141 H mg/dL": the flag column read between a value and its unit
        unit = vocab.lab_unit.match(text, flag.end()) if flag else None
        if flag and not unit and re.match(r"\S*/", text[flag.end() :]):
            end = flag.end(1)  # "4.38 L 10°6/ L": the flag, then a unit the scan garbled, never litres
        else:
            unit, flag = (unit, flag) if unit else (vocab.lab_unit.match(text, at), None)
        if unit:
            end = unit.end()
        elif re.search(r"[가-힣]", name.group(0)) or value and (glued or label and label["words"]):
            continue  # "혈당 150 이상", "ALT40", "ALT 목표: 40 이하": a Korean name, one run into its value, or
            # a value after words is a result only with a unit
        elif (more := re.match(r"[\s|｜ㆍ·.,_:]*(?=\d)", text[end:])) and not DATE.match(text, end + more.end()):
            continue  # "eGFR 0 74", "Hb 0. 15.2": two numbers after the name, which is the value cannot be told
        after = re.match(r"\s*\(([^)]*)\)", text[end:])
        dates = on or (dates_in(after.group(1)) if after else [])
        found.append(Found(name.start(), end, {
            "name": name.group(0), "value": (value or qualitative).group(0).replace(" ", ""),  # type: ignore[union-attr]
            "unit": unit.group(0) if unit else None, "date": dates[0] if dates else None,
            "flag": flag.group(1) if flag else None}))  # fmt: skip
    return found


def is_threshold(value: str, text: str, end: int) -> bool:
    """Whether the number before `end` is a threshold or a target, not a result: "eGFR 45 미만이면 감량", "INR ≤ 2.0
    확인 후"."""
    return bool(_THRESHOLD.match(text, end) or value[:1] in ("<", ">", "≤", "≥") and _TARGET.match(text, end))


def _opened(text: str, at: int) -> bool:
    """Whether a parenthesis is open at `at` on its line: "(HbA1c 7.2)" closes what it opened."""
    line = text[text.rfind("\n", 0, at) + 1 : at]
    return line.count("(") > line.count(")")


def medications_in(text: str, require_dose: bool = True) -> list[Found]:
    """Each known drug name or Korean product name (a name ending in a dosage form: 정, 캡슐, 주 ...) with the
    strength that follows it, the frequency and route of its clause, and its status words."""
    vocab = vocabulary()
    names = sorted({(m.start(), m.end()) for pattern in (vocab.drug, vocab.product) for m in pattern.finditer(text)})
    names += [(m.start(), m.end()) for m in vocab.spaced_product.finditer(text)
              if not any(m.start() < end and start < m.end() for start, end in names)]  # fmt: skip
    names.sort()
    names = [n for i, n in enumerate(names) if not any(o[0] <= n[0] and n[1] <= o[1] and o != n for o in names)]
    found = []
    for index, (start, end) in enumerate(names):
        stop = names[index + 1][0] if index + 1 < len(names) else len(text)
        clause_end = next((m for m in _CLAUSE_END.finditer(text, end, stop)
                           if text.count("(", end, m.start()) <= text.count(")", end, m.start())), None)  # fmt: skip
        clause = text[start : clause_end.start() if clause_end else stop].rstrip(" (")
        dose = DOSE.search(clause, end - start)
        if dose and dose.start() - (end - start) > 12:
            dose = None
        if dose is None and require_dose:
            continue
        frequency, route = FREQUENCY.search(clause, end - start), ROUTE.search(clause, end - start)
        found.append(Found(start, start + len(clause), {
            "name": text[start:end], "dose": dose.group("dose").strip() if dose else None,
            "frequency": frequency.group(0).strip() if frequency else None,
            "route": route.group(0) if route else None}))  # fmt: skip
    return found


def studies_in(text: str, need_date: bool = True) -> list[Found]:
    """Each study named with the date it was done (a planned study is not a result): type, printed term, date,
    and what the line says of it after a colon."""
    found = []
    dates = dates_or_partial_in(text)
    previous: tuple[str, int] | None = None  # the last study's type and where its name ends
    for term in vocabulary().modality.finditer(text):
        left = max((m.end() for m in _STUDY_CLAUSE.finditer(text, 0, term.start())), default=0)
        right = _STUDY_CLAUSE.search(text, term.end())
        if statement_cues()["planned"].search(text[left : right.start() if right else len(text)]):
            continue  # "Liver MRI 권고", "복부 CT 예정": a study to do is no result
        if _GUIDING.match(text, term.end()):
            continue  # "US-guided FNA", "MRI-TRUS fusion biopsy": the study guides a procedure, it is not one
        if _NO_STUDY.match(text[term.end() :]) or re.search(r"\bno\s+(?:prior\s+)?$", text[: term.start()], re.I):
            continue  # "이전 CT 없음", "no prior CT"
        if previous and previous[0] == study_type(term.group(0)) and _INSIDE.fullmatch(text, previous[1], term.start()):
            continue  # "Chest X-ray PA (흉부 X선)": the same study named again in its parentheses
        previous = (study_type(term.group(0)), term.end())
        timed = _TIMED.match(text, term.end())  # "ECG (13:05):" in an emergency record: done at that time that day
        nearest = (timed.start(1), timed.group(1)) if timed else min(
            dates, key=lambda d: abs(d[0] - term.start()), default=None)  # fmt: skip
        if nearest is None and need_date:
            continue
        if nearest is not None and not timed:  # a range keeps its end: "2026.06.04~05"
            tail = re.match(r"~\s*\d{1,2}(?:[./-]\d{1,2})?", text[nearest[0] + len(nearest[1]) :])
            nearest = (nearest[0], nearest[1] + tail.group(0)) if tail else nearest
        _, colon, finding = text[timed.end() if timed else term.end() :].partition(":")
        start = min(term.start(), nearest[0]) if nearest and nearest[0] < term.start() else term.start()
        sentence = re.search(r"[.。](?:\s|$)", text[term.end() :]) if not colon else None
        end = term.end() + sentence.start() if sentence else len(text)
        found.append(Found(start, end, {
            "modality": study_type(term.group(0)), "term": term.group(0),
            "body_part": _phrase(text[: timed.start()] if timed else text, term),
            "date": nearest[1] if nearest else None,
            "finding": finding.strip() or None if colon else None}))  # fmt: skip
    return found


_PHRASE_EDGE = re.compile(r"[:,;()\[\]]|에서|을|를|은|는|이|가|\s-\s")


def _phrase(text: str, term: re.Match[str]) -> str | None:
    """The words printed with a study's name, up to the punctuation or particle around it: "Chest" of
    "2027-02-11 Chest CT (contrast)", "Liver dynamic" of "Liver dynamic CT:", "흉부" of "흉부 X-ray에서"."""
    before = text[: term.start()]
    edges = [m.end() for m in _PHRASE_EDGE.finditer(before)] + [m.end() for m in DATE.finditer(before)]
    left = before[max(edges, default=0) :]
    detail = re.match(r"\s*\(([^)]{1,60})\)", text[term.end() :])  # "CT Abdomen & Pelvis (Liver dynamic, 4-phase)"
    after = _PHRASE_EDGE.search(text, term.end())
    right = text[term.end() : after.start() if after else len(text)]
    if detail is None and after is not None and text[after.start()] == "(":
        detail = re.match(r"\(([^)]{1,60})\)", text[after.start() :])
    right += f" {detail.group(1)}" if detail else ""
    words = DATE.sub("", f"{left} {right}").split()
    return " ".join(words[-8:]) or None


_SEGMENT = re.compile(r"[:;,]|\s(?:및|and|\+|&)\s|\s[-–→]\s")
_LABEL = re.compile(
    spaced_syllables(r"(?:수술|시술|처치|procedures?|operations?)\s*(?:예정|명|일|력|일자|내역|전|후|date|name)?"), re.I
)
_NEGATED = re.compile(r"\s*(?:no|not|without|r/o|negative for)\s", re.I)
_DATE_ONLY = re.compile(r"\s*\(\s*[\d.\s/년월일-]*\)")


_SPAN_AFTER = re.compile(r"\s*\d+\s*(?:일|주|개월|달|년|days?|weeks?|months?|years?)\s*(?:전|후|뒤|before|after)", re.I)
# the bare word 수술/시술 as a time ("수술 후", "수술 당일") or a purpose ("시술 목적 입원"): no operation done
_AROUND = re.compile(r"\s*(?:(?:전|후|뒤|당일)(?=[\s,.;:)]|$|부터|까지|에|의|로|으로)|위해|위한|목적)")


_LEAD_CLAUSE = re.compile(r"(?<=[가-힣A-Za-z)])\s*(?:후|뒤|에서|에\s*대해|하여|하고|after|then)\s+", re.I)
_PLACE = re.compile(r"^(?:(?:본원|귀원|타원|당원|외부|[가-힣]*(?:내과|외과|의학과|병원|의원))\s+)+")
_PRIOR = re.compile(r"^(?:s/p|status post)\s*", re.I)
_DONE = re.compile(r"시행|받(?:았|으셨)|하였|했습|performed|underwent|was done", re.I)


def done_in(text: str) -> bool:
    """Whether a clause says its procedure was done ("을 시행하였고", "를 같은 날 시행 받았습니다", "performed")."""
    clause = re.split(r"[.;]\s|[,，]\s*(?=[A-Za-z가-힣]+\s*[:(])", text, maxsplit=1)[0]
    return bool(_DONE.search(clause))


def is_procedure_label(label: str) -> bool:
    """A field label that names a procedure: 수술명, 시술명, Procedure, Operation date."""
    return bool(_LABEL.fullmatch(label.strip(" -•·")))


def _anchor(text: str, term: re.Match[str]) -> bool:
    """A procedure named as the anchor of another time, not as an event: "ESD 6개월 후 추적", "수술 5일 전부터
    중단", and the bare word 수술/시술 before 전/후/당일 or a purpose ("수술 후 상태", "시술 목적 입원")."""
    if _SPAN_AFTER.match(text, term.end()):
        return True
    return bool(_LABEL.fullmatch(term.group(0)) and _AROUND.match(text, term.end()))


def procedures_in(text: str, need_date: bool = True) -> list[Found]:
    """Each procedure or operation named with the date it was (or will be) done, to the day, month or year: a
    stretch between separators ("CAG 및 PCI" are two) from its start to the procedure's last word and what is in
    parentheses after it; a stretch followed by a colon is a label ("수술 예정:"), not a procedure."""
    dates = dates_or_partial_in(text)
    if not dates and need_date:
        return []
    found = []
    cuts = [0, *(m.end() for m in _SEGMENT.finditer(text)), len(text) + 1]
    for left, right in zip(cuts, cuts[1:], strict=False):
        segment_end = min(right, len(text))
        label = text[left : segment_end - 1] if text[segment_end - 1 : segment_end] == ":" else None
        if label is not None and _LABEL.fullmatch(DATE.sub("", label).strip(" -•·")):
            continue
        terms = [t for t in vocabulary().procedure.finditer(text, left, segment_end)
                 if not re.search(r"(?:CT|MR)\s*$", text[left : t.start()])  # CT angiography is a study
                 and not _anchor(text, t)]  # fmt: skip
        if not terms or _NEGATED.match(text[left:segment_end]):
            continue
        start = max([left, *(d + len(p) for d, p in dates if left <= d and d + len(p) <= terms[0].start()),
                     *(m.end() for m in _LEAD_CLAUSE.finditer(text, left, terms[0].start()))])  # fmt: skip
        end = terms[-1].end()
        after = re.match(r"\s*\([^)]*\)", text[end:segment_end])
        if after and not _DATE_ONLY.fullmatch(after.group(0)) and not CODE.search(after.group(0)):  # "(I25.1)"
            end += after.end()
        elif text[start:end].count("(") > text[start:end].count(")") and ")" in text[end:segment_end]:
            end = text.index(")", end) + 1  # "관상동맥조영술(CAG)"
        name = text[start:end].strip(" -–→•·")
        prior = _PRIOR.search(name)
        name = name[prior.end() :] if prior else name  # "s/p CNB": the procedure is CNB, done before
        name = _PLACE.sub("", name)  # "본원 흉부외과 CABG": where it was done is not its name
        if not name or _LABEL.fullmatch(name):  # "수술" alone names no procedure
            continue
        if DOSE.search(name):
            continue  # "플라빅스정 75mg 1T qd 수술 5일 전 중단": a drug's line that names a procedure as its time
        offset = text.index(name, start)
        nearest = min(dates, key=lambda d: abs(d[0] - terms[0].start()), default=None)
        fields = {"name": name, "date": nearest[1] if nearest else None, "prior": "s/p" if prior else None}
        found.append(Found(offset, offset + len(name), fields))
    return found


def is_lab_name(text: str) -> bool:
    return squeeze(re.sub(r"\s*\([^)]*\)\s*$", "", text)) in vocabulary().lab_names
