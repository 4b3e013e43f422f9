"""`referral status`: what an operator or coordinator needs to know of one referral, at a glance (or --json)."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import timedelta, timezone

from referral.config import Settings
from referral.operations import get_history, get_status
from referral.temporal import connect

KST = timezone(timedelta(hours=9), "KST")


async def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    client = await connect(settings)
    status = await get_status(client, args.referral_id)
    if args.json:
        history = await get_history(client, args.referral_id)
        out = {"status": status.model_dump(mode="json"), "history": [h.model_dump(mode="json") for h in history]}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(f"referral   {status.referral_id}\nstate      {status.state}\nstage      {status.stage}")
    print(f"priority   {status.priority}\nreferring  {status.referring_org}\nreceiving  {status.receiving_org}")
    print(f"due        {status.due_at.isoformat() if status.due_at else '-'}")
    if status.stage_error:
        print(f"error      {status.stage_error}")
    if status.delivery:
        d = status.delivery
        print(f"delivered  to {d.target_org} at {d.received_at} (message {d.message_id})")
    if status.appointment:
        a = status.appointment
        print(f"예약 appt  {a.start.astimezone(KST):%Y-%m-%d %H:%M} KST, {a.place} {a.department}".rstrip())
    for operation in status.planned_operations:
        print(f"수술 op    {operation.planned_on} {operation.procedure} {operation.department}".rstrip())
    if status.review_round:
        counts = Counter(r.status for r in status.reviews)
        decided = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        print(f"review     {status.review_round} round ({status.review_side}): {decided or '-'}")
    if status.consent_withdrawn:
        w = status.consent_withdrawn
        print(f"consent    withdrawn {w.at:%Y-%m-%d %H:%M} by {w.actor}: nothing more is sent")
    if status.task_updates_sent:
        print(f"updates    {status.task_updates_sent} sent to the referring side")
    for heard in status.dictations:
        seconds = f"{heard.duration_s:.0f} s"
        print(f"dictation  {heard.dictation_key[:19]}… {seconds} {heard.backend} {heard.segments} segments")
    if status.imaging:
        imaging = status.imaging
        print(f"imaging    search {imaging.search}: {len(imaging.studies)} studies "
              f"(left out: {sum(imaging.excluded.values())}); transfer {imaging.transfer or '-'}")  # fmt: skip
        if imaging.error:
            print(f"           {imaging.error}")
    for ocr in status.ocr:
        print(
            f"ocr        {ocr.document_key[:19]}… {ocr.pages} pages {'/'.join(ocr.methods)} conf {ocr.mean_confidence}"
        )
    for finding in status.summary.identity if status.summary else []:
        page = f" p{finding.page}" if finding.page else ""
        print(f"identity   ⚠ {finding.document_key[:19]}…{page} {finding.message}")
    for excluded in status.excluded_pages:
        print(f"removed    {excluded.document_key[:19]}… p{excluded.page or '*'} (reviewer: another patient's)")
    for record in await get_history(client, args.referral_id):
        why = f" [{record.reason_code}]" if record.reason_code else ""
        print(f"#{record.seq} {record.at:%Y-%m-%d %H:%M} {record.side:<9} {record.event} → {record.to_state}{why}")
    return 0
