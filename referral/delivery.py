"""Sending a FHIR message to a peer hospital's gateway. A 4xx answer is final (the message or credentials are
wrong: retrying cannot help); a network error or 5xx is transient and the caller (a Temporal activity's retry
policy) tries again. The message id is the idempotency key, so a retry after a lost answer stores nothing twice."""

from __future__ import annotations

from typing import Any

import httpx

from referral.gateway import Receipt


class DeliveryRejected(ValueError):
    """The receiving gateway refused the message (4xx); the referral keeps the reason."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"gateway refused the message ({status}): {detail}")
        self.status = status


def deliver(bundle: dict[str, Any], gateway_url: str, token: str, timeout_s: float = 30) -> Receipt:
    response = httpx.post(
        f"{gateway_url.rstrip('/')}/fhir/$process-message",
        json=bundle,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(bundle["id"])},
        timeout=timeout_s,
    )
    if 400 <= response.status_code < 500:
        try:
            outcome = response.json().get("detail", {})
            issues = outcome.get("issue", []) if isinstance(outcome, dict) else []
            detail = "; ".join(str(i.get("diagnostics", "")) for i in issues) or response.text[:200]
        except (ValueError, AttributeError):  # not JSON, or JSON of another shape than an OperationOutcome
            detail = response.text[:200]
        raise DeliveryRejected(response.status_code, detail)
    response.raise_for_status()  # 5xx: transient, retried by the caller
    receipt = Receipt.model_validate(response.json())
    if receipt.message_id != str(bundle["id"]):  # a receipt for another message is no receipt of this one
        raise DeliveryRejected(502, "the gateway's receipt names another message")
    return receipt
