"""The review project's labelling interface (Korean first) and the task built for one draft: the source text
page by page with the evidence spans highlighted, beside the draft pre-filled in an editable text area."""

from __future__ import annotations

from typing import Any

from label_studio_sdk.label_interface import LabelInterface
from label_studio_sdk.label_interface.objects import PredictionValue

from referral.summary.drafts import Draft

LABEL_CONFIG = """<View>
  <Style>.source { max-height: 480px; overflow-y: auto; }</Style>
  <Header value="원문 (Source records) — 근거가 강조되어 있습니다 (evidence highlighted)"/>
  <View className="source"><Text name="source" value="$records" granularity="symbol"/></View>
  <Labels name="evidence" toName="source"><Label value="근거 (evidence)" background="#ffe08a"/></Labels>
  <Header value="확인할 숫자·코드: 원본 이미지와 대조하세요 (numbers and codes to check against the page)"/>
  <Image name="checks" value="$checks_image" zoom="true" zoomControl="true"/>
  <Header value="$title — AI 초안을 검토·수정하세요 (review and edit the AI draft)"/>
  <TextArea name="final_text" toName="source" editable="true" maxSubmissions="1" rows="24"
            placeholder="최종 문서 (final document)"/>
  <Header value="결정 (Decision)"/>
  <Choices name="decision" toName="source" choice="single" required="true">
    <Choice value="approve" alias="approve" hint="승인 (approve and sign)"/>
    <Choice value="reject" alias="reject" hint="반려 (reject with reason)"/>
    <Choice value="redraft" alias="redraft" hint="수정 요청 (request a new draft)"/>
  </Choices>
  <Header value="사유 (Reason, required for 반려 / 수정 요청)"/>
  <TextArea name="reason" toName="source" maxSubmissions="1" rows="2"/>
</View>"""


# Tasks of a referral with an identity finding: the finding is shown first and the reviewer must mark the flagged
# pages (keep: this patient's after all; remove: another patient's, re-draft without them) before submitting.
IDENTITY_BLOCK = """  <Header value="$identity"/>
  <Choices name="identity" toName="source" choice="single" required="true">
    <Choice value="keep" alias="keep" hint="유지 — 표시된 페이지는 이 환자의 기록임을 확인 (keep: this patient's)"/>
    <Choice value="remove" alias="remove" hint="제외 — 다른 환자의 페이지, 제외 후 재작성 (remove and re-draft)"/>
  </Choices>
"""
IDENTITY_LABEL_CONFIG = LABEL_CONFIG.replace("<View>\n", "<View>\n" + IDENTITY_BLOCK, 1)


def source_text(pages: list[tuple[str, int, str]]) -> tuple[str, dict[tuple[str, int], int]]:
    """The OCR text of every page, with a page marker line; returns the text and each page's start offset."""
    parts: list[str] = []
    offsets: dict[tuple[str, int], int] = {}
    position = 0
    for document_key, page, text in pages:
        marker = f"── {document_key[:19]}… p.{page} ──\n"
        offsets[(document_key, page)] = position + len(marker)
        parts.append(marker + text + "\n")
        position += len(marker) + len(text) + 1
    return "".join(parts), offsets


def prediction(draft: Draft, offsets: dict[tuple[str, int], int], source: str) -> dict[str, Any]:
    """The draft pre-filled in the text area, and its evidence as highlighted spans of the source."""
    interface = LabelInterface(LABEL_CONFIG)
    regions = [interface.get_control("final_text").label(text=[draft.text])]
    result = PredictionValue(model_version=draft.backend, result=regions).model_dump()
    for evidence in draft.evidence:
        start = offsets.get((evidence.document_key, evidence.page))
        if start is None or source[start + evidence.start : start + evidence.end] != evidence.quote:
            continue  # a span that is not in this source is not shown (it cannot be checked here)
        result["result"].append({
            "from_name": "evidence", "to_name": "source", "type": "labels",
            "value": {"start": start + evidence.start, "end": start + evidence.end, "text": evidence.quote,
                      "labels": ["근거 (evidence)"]},
        })  # fmt: skip
    return result


def parse_annotation(result: list[dict[str, Any]]) -> dict[str, str]:
    """decision, identity, final_text and reason from an annotation's result list."""
    found: dict[str, str] = {}
    for region in result:
        value = region.get("value", {})
        if region.get("from_name") in ("decision", "identity") and value.get("choices"):
            found[region["from_name"]] = value["choices"][0]
        elif region.get("from_name") in ("final_text", "reason") and value.get("text"):
            found[region["from_name"]] = "\n".join(value["text"])
    return found
