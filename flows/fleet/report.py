"""Prefect flow: the daily operations report, from Temporal visibility and the referrals' own status (Prefect
holds no referral state): open referrals by state and institution, overdue waits, loop-closure rate, time to
review (submission to first signature), to decision and to 회송, AI edit ratio per document type and model
version, duplicate tests avoided — an HTML page with its plots (matplotlib)."""

from __future__ import annotations

import html
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel
from temporalio.service import RPCError

from referral.config import Settings
from referral.operations import ReferralNotFound, get_history, get_status, list_referrals
from referral.orders import tests_avoided
from referral.states import TERMINAL_STATES, ReferralState
from referral.storage import open_store
from referral.temporal import connect
from review.models import SignedDocument

QUERY_TIMEOUT = timedelta(seconds=5)


class ReferralFacts(BaseModel):
    referral_id: str
    state: str
    referring_org: str
    receiving_org: str
    overdue: bool
    hours_to_review: float | None = None  # submission → the first draft signed by a clinician
    hours_to_decision: float | None = None
    hours_to_return: float | None = None
    edits: list[tuple[str, str, float]] = []  # (document kind, AI backend, edit ratio)
    duplicate_tests: int = 0
    avoided_cost_krw: int = 0
    orders_cancelled: int = 0  # planned orders a clinician cancelled because the prior test was still valid
    orders_cancelled_krw: int = 0
    repeats_kept: int = 0  # avoidable repeats kept, with a reason


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds() / 3600, 2) if start and end else None


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
async def collect() -> list[ReferralFacts]:
    settings = Settings()
    client, store = await connect(settings), open_store(settings)
    now = datetime.now(UTC)
    facts = []
    for row in await list_referrals(client, limit=10_000):
        try:
            status = await get_status(client, row.referral_id, timeout=QUERY_TIMEOUT)
            records = await get_history(client, row.referral_id, timeout=QUERY_TIMEOUT)
        except (RPCError, ReferralNotFound):
            # no worker answers for it right now: report what visibility knows, never stall the report
            overdue = row.due_at is not None and row.due_at < now and row.status not in TERMINAL_STATES
            facts.append(ReferralFacts(referral_id=row.referral_id, state=row.status or "UNKNOWN",
                                       referring_org=row.referring_org or "", receiving_org=row.receiving_org or "",
                                       overdue=overdue))  # fmt: skip
            continue
        history: dict[str, datetime] = {str(r.event): r.at for r in records}
        signed = [r.signed for r in [*status.past_reviews, *status.reviews] if r.signed is not None]
        edits = []
        for ref in signed:
            document = SignedDocument.model_validate_json(store.get(ref.json_key))
            edits.append((document.kind, document.ai_backend, document.edit_ratio))
        first_signed = min((ref.signed_at for ref in signed), default=None)
        decided = history.get("accept") or history.get("decline") or history.get("return_with_advice")
        facts.append(ReferralFacts(
            referral_id=row.referral_id, state=status.state, referring_org=status.referring_org,
            receiving_org=status.receiving_org,
            overdue=status.state not in TERMINAL_STATES and status.due_at is not None and status.due_at < now,
            hours_to_review=_hours(row.started_at, first_signed),
            hours_to_decision=_hours(history.get("receive"), decided),
            hours_to_return=_hours(history.get("start_care"), history.get("complete")), edits=edits,
            duplicate_tests=status.summary.duplicate_tests if status.summary else 0,
            avoided_cost_krw=status.summary.avoidable_cost_krw if status.summary else 0,
            orders_cancelled=tests_avoided(status.order_choices)[0],
            orders_cancelled_krw=tests_avoided(status.order_choices)[1],
            repeats_kept=sum(c.choice == "kept" for c in status.order_choices),
        ))  # fmt: skip
    return facts


def _bar(path: Path, labels: list[str], values: list[float], title: str, ylabel: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4))
    axes.bar(labels or ["(none)"], values or [0], color="#4c72b0")
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.tick_params(axis="x", labelrotation=30)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


@task(cache_policy=NO_CACHE)
def render(facts: list[ReferralFacts], out_dir: str) -> str:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    open_facts = [f for f in facts if f.state not in TERMINAL_STATES]
    by_state = Counter(f.state for f in open_facts)
    by_org: dict[str, Counter[str]] = defaultdict(Counter)
    for f in open_facts:
        by_org[f.receiving_org][f.state] += 1
    closed = [f for f in facts if f.state in TERMINAL_STATES]
    loop_closure = sum(f.state == ReferralState.LOOP_CLOSED for f in closed) / len(closed) if closed else 0.0
    edits: dict[str, list[float]] = defaultdict(list)
    for f in facts:
        for kind, backend, ratio in f.edits:
            edits[f"{kind} ({backend})"].append(ratio)
    _bar(out / "open-by-state.png", list(by_state), list(by_state.values()), "Open referrals by state", "referrals")
    _bar(out / "edit-ratio.png", list(edits), [statistics.mean(v) for v in edits.values()],
         "AI edit ratio by document type and model", "mean edit ratio")  # fmt: skip

    def median(values: list[float | None]) -> str:
        present = [v for v in values if v is not None]
        return f"{statistics.median(present):.1f} h" if present else "–"

    def counts(counter: Counter[str]) -> str:
        return html.escape(", ".join(f"{state} {n}" for state, n in counter.items()))

    rows = "".join(f"<tr><td>{html.escape(org)}</td><td>{counts(c)}</td></tr>" for org, c in sorted(by_org.items()))
    overdue = "".join(f"<li>{html.escape(f.referral_id)} — {html.escape(f.receiving_org)} ({html.escape(f.state)})</li>"
                      for f in facts if f.overdue)  # fmt: skip
    page = f"""<!doctype html><html lang="ko"><meta charset="utf-8"><title>운영 보고서 (Operations report)</title>
<h1>운영 보고서 (Operations report) — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC</h1>
<p>Referrals: {len(facts)} (open {len(open_facts)}, closed {len(closed)}); loop-closure rate {loop_closure:.0%};
median time to review {median([f.hours_to_review for f in facts])};
median time to decision {median([f.hours_to_decision for f in facts])}; median time to 회송
{median([f.hours_to_return for f in facts])}; duplicate tests avoided {sum(f.duplicate_tests for f in facts)}
(example cost {sum(f.avoided_cost_krw for f in facts):,} KRW); tests avoided at ordering (orders cancelled)
{sum(f.orders_cancelled for f in facts)} (example cost {sum(f.orders_cancelled_krw for f in facts):,} KRW),
repeats kept with a reason {sum(f.repeats_kept for f in facts)}.</p>
<h2>Open referrals by receiving institution</h2><table>{rows}</table>
<img src="open-by-state.png" alt="open referrals by state">
<h2>Overdue waits</h2><ul>{overdue or "<li>none</li>"}</ul>
<h2>AI edit ratio</h2><img src="edit-ratio.png" alt="AI edit ratio"></html>"""
    (out / "report.html").write_text(page, encoding="utf-8")
    return str(out / "report.html")


@flow(name="daily-operations-report")
async def daily_operations_report(out_dir: str) -> str:
    return render(await collect(), out_dir)
