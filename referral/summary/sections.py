"""Section headings of Korean and English clinical records, and the lines under them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from referral.lexicon import load_data
from referral.summary.vocabulary import squeeze


def _headings() -> dict[str, str]:
    raw = load_data("section_headings.yaml")
    return {squeeze(alias): kind for kind, aliases in raw.items() for alias in aliases}


_ALIASES = _headings()
_KOREAN_ALIASES = sorted((a for a in _ALIASES if re.fullmatch(r"[가-힣]{2,}", a)), key=len, reverse=True)
# what every page prints that is no part of the record: the page number, the print time, the signature block
_FURNITURE = re.compile(
    r"^\s*(?:-\s*)?\d+\s*/\s*\d+\s*(?:-\s*)?$|^\s*page\s+\d+\s+of\s+\d+\s*$|출\s*력\s*일\s*시?\s*[:：]|면허\s*번호"
    r"|\(\s*(?:인|서명|전자서명)\s*\)|^\s*(?:작성|조회|출력|판독)\s*(?:자|의|의사)?\s*[:：]|출\s*력\s*자\s*[:：]",
    re.I,
)
_DECOR = re.compile(r"^[#\s\-•*·■□◆◇◎○●▶►▷※☞\d.)|ㅣ'‘’`]*")
_PAREN = re.compile(r"\s*[\(（].*?[\)）]\s*")
_BRACKETED = re.compile(r"^\s*[\[【<〈《]\s*(?P<head>[^\]】>〉》]{1,40}?)\s*[\]】>〉》]\s*(?P<rest>.*)$")
# a bracketed heading whose closing bracket a scan lost ("<영상 소견"): letters only, nothing after it
_UNCLOSED = re.compile(r"^\s*[\[【<〈《]\s*(?P<head>[A-Za-z가-힣][^\]】>〉》\d<]{0,30}?)\s*$")
_SEPARATED = re.compile(r"^(?P<head>(?:[^:()]|\([^()]*\)){1,40}?)\s*(?::|\)(?!\S*\())\s*(?P<rest>.*)$")


@dataclass(frozen=True)
class Line:
    """One line of a page: its section, and the span of its content (bullets and heading stripped)."""

    section: str | None
    start: int
    end: int
    text: str
    number: int


def _kind(head: str) -> str | None:
    """The section a heading names; a heading of several ("과거력 / 수술력") is its first known part; a Korean
    heading ending in a known one names the same ("퇴원 후 계획", "최종 진단")."""
    bare = _DECOR.sub("", head)
    candidates = [squeeze(c).rstrip(".:") for c in
                  (bare, _PAREN.sub("", bare), *re.split(r"\s*[/·,및&]\s*", _PAREN.sub("", bare)))]  # fmt: skip
    for index, candidate in enumerate(candidates):
        if candidate in _ALIASES and (index < 2 or len(candidate) > 1):  # "s/p" is no SOAP "S"
            return _ALIASES[candidate]
    for candidate in candidates:
        if len(candidate) > 8 or re.search(r"\d", candidate):
            continue  # "2012년 우측 서혜부 탈장 수술" is a line of content, not a heading ending in 수술
        ending = next((a for a in _KOREAN_ALIASES if candidate.endswith(a)), None)
        if ending:
            return _ALIASES[ending]
    return None


def _heading_shaped(line: str) -> bool:
    """A line printed as a heading whatever it names: bracketed, or a short line after a heading mark."""
    stripped = line.strip()
    bracketed = _BRACKETED.match(stripped)
    return bool(bracketed and not bracketed["rest"] or _UNCLOSED.match(stripped)) or bool(
        re.match(r"^[■□◆◇◎▶►▷●]\s*\S", stripped) and len(stripped) <= 30 and ":" not in stripped
    )


def heading_of(line: str) -> tuple[str, str] | None:
    """(kind, rest of the line) when the line starts a section: a bracketed heading ("[진단명]", "<검사결과> ..."),
    a heading and a colon or parenthesis ("Impression:", "Dx)", "S) ..."), or a line that is only a heading
    ("■ 현병력", "1. 주소 (C.C)"). `rest` is the content after it."""
    bracketed = _BRACKETED.match(_DECOR.sub("", line))
    if bracketed and (kind := _kind(bracketed["head"])):
        return kind, bracketed["rest"]
    unclosed = _UNCLOSED.match(_DECOR.sub("", line))
    if unclosed and (kind := _kind(unclosed["head"])):
        return kind, ""
    separated = _SEPARATED.match(line.strip())
    if separated and (kind := _kind(separated["head"])):
        return kind, separated["rest"]
    if len(line.strip()) <= 40 and (kind := _kind(line.strip())):
        return kind, ""
    return None


_BULLET = re.compile(r"^\s*(?:[-•*·~]|\d{1,2}[.)])\s*")
# headings a pathology report uses for its own parts
_IN_REPORT = {"problems", "pathology", "labs", "imaging", "other", "hpi", "procedures"}


def lines_of(text: str, section: str | None = None, keep: set[int] | frozenset[int] = frozenset()) -> Iterator[Line]:
    """Content lines with their section. `section` carries over from the previous page of the document; lines
    numbered in `keep` (a table's rows) are given as they are, never read as headings or page furniture."""
    offset = 0
    for number, raw in enumerate(text.split("\n")):
        line_start = offset
        offset += len(raw) + 1
        if number in keep:
            yield Line(section, line_start, line_start + len(raw), raw, number)
            continue
        if _FURNITURE.search(raw):
            continue
        found = heading_of(raw)
        if section == "pathology" and (found is None and _heading_shaped(raw) or found and found[0] in _IN_REPORT):
            found = None  # "[검체]", "진단 (Diagnosis)", "진단: 선암": parts and fields of the report, not new sections
        if found is None and _heading_shaped(raw) and section != "pathology":
            section = None  # a heading of something this summary does not read ("[의뢰 내용]") ends the section
            continue
        if found is not None:
            section, rest = found
            if not rest.strip():
                continue
            start = line_start + raw.rindex(rest) + (len(rest) - len(rest.lstrip()))
            yield Line(section, start, line_start + len(raw.rstrip()), rest.strip(), number)
            continue
        bullet = _BULLET.match(raw)
        content_start = line_start + (bullet.end() if bullet else len(raw) - len(raw.lstrip()))
        content = text[content_start : line_start + len(raw.rstrip())]
        if content:
            yield Line(section, content_start, content_start + len(content), content, number)


def last_section(text: str, section: str | None) -> str | None:
    """The section in force at the end of a page, to carry over to the next page of the same document."""
    for line in lines_of(text, section):
        section = line.section
    tail = text.rstrip().split("\n")[-1] if text.strip() else ""
    found = heading_of(tail)
    if found is not None and not found[1].strip() and section != "pathology":
        return found[0]
    return section
