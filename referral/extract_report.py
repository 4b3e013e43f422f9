"""The readable form of a `referral extract` result: what a medical-records clerk checks before a clinician signs."""

from __future__ import annotations

from typing import Any

_ITEM_LISTS = ("problems", "medications", "allergies", "no_known_allergies", "labs", "imaging", "procedures",
               "pathology", "pending_results", "plan")  # fmt: skip


def _item(kind: str, item: dict[str, Any]) -> str:
    if kind == "labs":
        return " ".join(str(item.get(k) or "") for k in ("date", "name", "value", "unit")).strip()
    if kind == "medications":
        return " ".join(str(item.get(k) or "") for k in ("name", "dose", "frequency")).strip()
    for key in ("name", "substance", "text", "modality"):
        if item.get(key):
            return str(item[key])
    return str(item.get("evidence", [{}])[0].get("quote", ""))


def render_report(result: dict[str, Any]) -> str:
    lines = ["# referral extract", ""]
    for f in result["files"]:
        lines.append(f"파일 / file: {f['path']} ({f['media_type']}, {f['pages']} pages, sha256 {f['sha256'][:12]}…)")
    lines += ["", "## 페이지 / pages"]
    for page in result["pages"]:
        lines.append(f"- {page['file']} p{page['page']}: {page['method']}, confidence {page['mean_confidence']}, "
                     f"corrections {len(page['corrections'])}, re-reads {len(page['rereads'])}, "
                     f"to check {len(page['checks'])}, table rows {len(page['rows'])}")  # fmt: skip
        for check in page["checks"]:
            lines.append(f"    ⚠ 확인 / check: “{check['text']}” ({check['why']}, box {check['box']})")
    identity = result["identity"]
    lines += ["", f"## 환자 확인 / identity (reference: {identity['reference']})"]
    lines += [f"- ⚠ {f['document_key'][:12]}… p{f['page'] or '-'}: {f['message']}" for f in identity["findings"]]
    if not identity["findings"]:
        lines.append("- 이상 없음 / no finding")
    summary = result["summary"]
    lines += ["", "## 요약 / summary"]
    for kind in _ITEM_LISTS:
        items = summary.get(kind) or []
        if items:
            lines.append(f"- {kind} ({len(items)}): " + "; ".join(_item(kind, i) for i in items))
    duplicates = result["duplicates"]
    lines += ["", f"## 중복 검사 / duplicate tests (on {duplicates['on']}, planned: {duplicates['planned'] or '-'})"]
    for repeat in duplicates["avoidable"]:
        lines.append(f"- ⚠ {repeat['planned']}: {repeat['prior_date']} {repeat['prior_result']} "
                     f"({repeat['days_since']}일 전, 유효 {repeat['window_days']}일)")  # fmt: skip
    if not duplicates["avoidable"]:
        lines.append("- 피할 수 있는 반복 검사 없음 / no avoidable repeat among the planned orders")
    for draft in result["drafts"]:
        lines += ["", f"## 초안 / draft: {draft['title']}", draft["text"].rstrip()]
    return "\n".join(lines) + "\n"
