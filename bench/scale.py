"""What N open referrals cost on one box: the whole local stack (`referral dev` on a fresh data folder: Temporal dev
server on its own SQLite file, the CPU and GPU workers and the hospital gateways as separate processes, the API and
a Label Studio board) driven with N referrals of one small text-layer page each (so OCR does not hide the
orchestration), into the wait a referral spends most of its life in first: drafts awaiting review. Then every
draft is approved through Label Studio's API in bulk; after 30 s (what Label Studio's webhooks alone achieve —
it sends each once, with a one-second timeout) one run of the fleet review reconciler (every 5 minutes in a
deployment; Prefect is not started here) hints the rest, and the referrals run to delivery (RECEIVED).

Recorded: wall and CPU seconds per referral to park (workers, Temporal server, API, Label Studio, all processes of
the stack), worker RSS, Temporal database size and history events per referral, worklist latency (p50/p95) of
`GET /referrals?status=…` and `GET /referrals?overdue=true`; then, the N parked and nothing happening for
--idle-s, Label Studio's requests and the stack's CPU seconds a minute and the history events a waiting referral
adds; last (not with --park-only) the time for all to be delivered once decisions arrive. One JSON line per run
in bench/data/scale.jsonl; each figure against N is drawn in bench/data/scale.png.

    .venv/bin/python bench/scale.py --referrals 100      (--plot-only: redraw from the runs recorded)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from temporalio.client import Client

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.fleet.review_reconciler import reconcile  # noqa: E402
from flows.referral.contract import round_workflow_id  # noqa: E402
from flows.referral.io import ReferralStatus  # noqa: E402
from referral.config import Settings  # noqa: E402
from referral.devserver import free_port  # noqa: E402
from referral.network import load_network  # noqa: E402
from referral.operations import get_status  # noqa: E402
from referral.review_plan import ReviewRoundName  # noqa: E402
from referral.synthetic import text_pdf  # noqa: E402
from referral.temporal import connect  # noqa: E402
from review.board import ReviewBoard, review_boards  # noqa: E402
from tests.helpers import make_request  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
STACK_PARTS = ("start-dev", "workers.cpu", "workers.gpu", "referral.gateways", "uvicorn", "label-studio", "flows.fleet")


def stack_pids(root: int) -> list[int]:
    """The process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError):
            continue
    return total / TICK


def cpu_by_process(pids: list[int]) -> dict[str, float]:
    """CPU seconds so far of each part of the stack, named by a word of its command line (`other`: the rest)."""
    parts = {marker: 0.0 for marker in (*STACK_PARTS, "other")}
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        part = next((marker for marker in STACK_PARTS if marker in command), "other")
        parts[part] += cpu_seconds([pid])
    return parts


def rss_mb(pids: list[int], marker: str) -> float:
    total = 0
    for pid in pids:
        try:
            if marker not in Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " "):
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


class Stack:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.ports = {name: free_port() for name in ("temporal", "ui", "api", "studio", "codec")}
        self.ready = threading.Event()
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        args = [str(ROOT / ".venv/bin/referral"), "dev", "--no-examples", "--no-prefect", "--no-pacs",
                "--temporal-port", str(self.ports["temporal"]), "--ui-port", str(self.ports["ui"]),
                "--api-port", str(self.ports["api"]), "--label-studio-port", str(self.ports["studio"]),
                "--codec-port", str(self.ports["codec"])]  # fmt: skip
        env = {**os.environ, "REFERRAL_DATA_DIR": str(self.data)}
        self.process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        cwd=ROOT, start_new_session=True)  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(600):
            raise RuntimeError("the stack did not start in 10 minutes (see its logs)")

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            if "Ctrl-C stops everything" in line:
                self.ready.set()

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def annotate_all(studio: str, email: str, password: str, task_ids: list[int]) -> None:
    with httpx.Client(base_url=studio, follow_redirects=True, timeout=60) as web:
        web.get("/user/login/")
        web.post("/user/login/", data={"email": email, "password": password,
                                       "csrfmiddlewaretoken": web.cookies.get("csrftoken", "")},
                 headers={"Referer": f"{studio}/user/login/"})  # fmt: skip
        token = web.get("/api/current-user/token").json()["token"]
    result = [
        {"from_name": "decision", "to_name": "source", "type": "choices", "value": {"choices": ["approve"]}},
        {"from_name": "identity", "to_name": "source", "type": "choices", "value": {"choices": ["keep"]}},
    ]

    def one(task_id: int) -> None:
        answer = httpx.post(f"{studio}/api/tasks/{task_id}/annotations/", json={"result": result, "lead_time": 3.0},
                            headers={"Authorization": f"Token {token}"}, timeout=120)  # fmt: skip
        answer.raise_for_status()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, task_ids))


def studio_requests(data: Path) -> list[str]:
    """The requests Label Studio answered, from its log (Django's server log; each line is written twice there)."""
    log = data / "logs" / "label-studio.log"
    lines = [line for line in log.read_text(errors="replace").splitlines() if "django.server::" in line]
    return [line for i, line in enumerate(lines) if i == 0 or line != lines[i - 1]]


def request_path(line: str) -> str:
    """`[…] "GET /api/tasks/12/?x=1 HTTP/1.1" 200 16` → `GET /api/tasks/N/`: what was asked, not of which task."""
    method, _, rest = line.partition('"')[2].partition(" ")
    return (
        method + " " + "/".join("N" if part.isdigit() else part for part in rest.split("?")[0].split(" ")[0].split("/"))
    )


async def idle_costs(
    client: Client, data: Path, pids: list[int], sample: list[str], idle_s: float, boards: list[ReviewBoard]
) -> dict[str, Any]:
    """What N parked referrals cost while nothing happens: Label Studio requests and CPU seconds a minute, the
    history events the sampled referrals and their review rounds add (a waiting referral should add none), and
    one run of the fleet review reconciler over the idle window (in a deployment, every 5 minutes)."""

    async def events(ids: list[str]) -> int:
        return sum([len((await client.get_workflow_handle(i).fetch_history()).events) for i in ids])

    rounds = [round_workflow_id(i, ReviewRoundName.REFERRAL, 1) for i in sample]
    before, requests, cpu = await events(sample + rounds), len(studio_requests(data)), cpu_seconds(pids)
    idle_from = datetime.now(UTC)
    await asyncio.sleep(idle_s)
    asked = [request_path(line) for line in studio_requests(data)[requests:]]
    minutes = idle_s / 60
    figures = {
        "idle_s": idle_s,
        "idle_studio_requests_per_min": round(len(asked) / minutes, 1),
        "idle_studio_requests_top": sorted({p: asked.count(p) for p in asked}.items(), key=lambda kv: -kv[1])[:5],
        "idle_cpu_s_per_min": round((cpu_seconds(pids) - cpu) / minutes, 2),
        "idle_history_events_added_per_referral": round((await events(sample + rounds) - before) / len(sample), 2),
    }
    requests, started = len(studio_requests(data)), time.perf_counter()
    report = await reconcile(client, boards, idle_from)
    figures["idle_reconciler_s"] = round(time.perf_counter() - started, 2)
    await asyncio.sleep(1)  # Label Studio logs a request once it has answered it
    figures["idle_reconciler_studio_requests"] = len(studio_requests(data)) - requests
    figures["idle_reconciler_hinted"] = len(report.hinted)
    return figures


def webhook_calls(data: Path) -> int:
    """Label Studio's webhook calls the API answered (its access log)."""
    log = data / "logs" / "api.log"
    return log.read_text(errors="replace").count("POST /review/webhook") if log.exists() else 0


async def count(client: object, query: str) -> int:
    return (await client.count_workflows(query)).count  # type: ignore[attr-defined]


async def wait_count(client: object, query: str, n: int, timeout_s: float) -> float:
    started = time.monotonic()
    while await count(client, query) < n:
        if time.monotonic() - started > timeout_s:
            raise RuntimeError(f"only {await count(client, query)} of {n} reached: {query}")
        await asyncio.sleep(1)
    return time.monotonic() - started


async def referral_ids(client: Client) -> AsyncIterator[str]:
    async for execution in client.list_workflows("WorkflowType = 'ReferralWorkflow'"):
        yield execution.id


async def waiting_on_the_board(client: Client, referral_id: str) -> ReferralStatus:
    """The referral once its drafts are tasks on the board (AWAITING_REVIEW is shown as soon as they are made)."""
    while not (status := await get_status(client, referral_id)).reviews:
        await asyncio.sleep(1)
    return status


async def run(n: int, data: Path, idle_s: float, park_only: bool) -> dict[str, object]:
    stack = Stack(data)
    stack.start()
    try:
        settings = Settings(data_dir=data, temporal_address=f"127.0.0.1:{stack.ports['temporal']}")
        client = await connect(settings)
        tokens = yaml.safe_load((data / "secrets" / "api-tokens.yaml").read_text())
        clinicians = yaml.safe_load((data / "secrets" / "demo-clinicians.yaml").read_text())
        email = next(e for e, c in clinicians.items() if c["signs_for"] == "yeongwol-mc" and "clinician" in e)
        api, studio = f"http://127.0.0.1:{stack.ports['api']}", f"http://127.0.0.1:{stack.ports['studio']}"
        pids = stack_pids(stack.process.pid)  # type: ignore[union-attr]
        cpu_before, parts_before, started = cpu_seconds(pids), cpu_by_process(pids), time.monotonic()
        page = text_pdf(["진료의뢰서", "진단: 본태성 고혈압 (I10)", "투약: Amlodipine 5 mg 1일 1회",
                         "검사: Creatinine 1.1 mg/dL (2026-11-20)"])  # fmt: skip
        async with httpx.AsyncClient(base_url=api, timeout=120,
                                     headers={"Authorization": f"Bearer {tokens['yeongwol-mc']}"}) as http:  # fmt: skip
            gate = asyncio.Semaphore(4)

            async def submit(i: int) -> None:
                request = make_request()
                files = [("files", (f"record-{i}.pdf", page, "application/pdf"))]
                async with gate:
                    answer = await http.post("/referrals", data={"referral": request.model_dump_json()}, files=files)
                answer.raise_for_status()

            await asyncio.gather(*(submit(i) for i in range(n)))
            submitted_s = time.monotonic() - started
            parked_query = "WorkflowType = 'ReferralWorkflow' AND ReferralStage = 'AWAITING_REVIEW'"
            await wait_count(client, parked_query, n, 60 * 60)
            statuses = [await waiting_on_the_board(client, i) async for i in referral_ids(client)]
            park_s = time.monotonic() - started
            pids = stack_pids(stack.process.pid)  # type: ignore[union-attr]
            park_cpu = cpu_seconds(pids) - cpu_before
            parts = cpu_by_process(pids)
            park_cpu_parts = {part: round((parts[part] - parts_before.get(part, 0.0)) / n, 3) for part in parts}
            rss = {m: round(rss_mb(pids, m), 1) for m in ("workers.cpu", "workers.gpu", "uvicorn", "label-studio")}
            db = sum(p.stat().st_size for p in data.glob("temporal.db*"))
            ids = [e.id async for e in client.list_workflows("WorkflowType = 'ReferralWorkflow'")]
            sample = ids[: min(10, len(ids))]
            events = [len((await client.get_workflow_handle(i).fetch_history()).events) for i in sample]
            round_ids = [round_workflow_id(i, ReviewRoundName.REFERRAL, 1) for i in sample]  # the review wait's own
            round_events = [len((await client.get_workflow_handle(i).fetch_history()).events) for i in round_ids]
            latencies: dict[str, tuple[float, float]] = {}
            for name, params in [("list_by_status", {"status": "DRAFT"}), ("overdue", {"overdue": "true"})]:
                samples = []
                for _ in range(20):
                    t0 = time.perf_counter()
                    (await http.get("/referrals", params=params)).raise_for_status()
                    samples.append((time.perf_counter() - t0) * 1000)
                latencies[name] = percentiles(samples)
        boards = review_boards(settings.model_copy(update={"label_studio_url": studio}), load_network(None))
        idle = await idle_costs(client, data, pids, sample, idle_s, boards)
        parked = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip(),  # fmt: skip
            "referrals": n,
            "cores": os.cpu_count(),
            "submit_s": round(submitted_s, 1),
            "park_s": round(park_s, 1),
            "park_wall_s_per_referral": round(park_s / n, 3),
            "park_cpu_s_per_referral": round(park_cpu / n, 3),
            "park_cpu_s_per_referral_by_process": park_cpu_parts,
            "rss_mb": rss,
            "temporal_db_kb_per_referral": round(db / 1024 / n, 1),
            "history_events_parked": statistics.mean(events),
            "review_round_events_parked": statistics.mean(round_events),
            "latency_ms_p50_p95": {k: [round(v, 1) for v in pair] for k, pair in latencies.items()},
            **idle,
        }
        if park_only:
            return parked
        task_ids = [r.task.task_id for status in statuses for r in status.reviews]
        decided, since = time.monotonic(), datetime.now(UTC) - timedelta(minutes=1)
        hooks_before = webhook_calls(data)
        await asyncio.to_thread(annotate_all, f"http://127.0.0.1:{stack.ports['studio']}", email,
                                clinicians[email]["password"], task_ids)  # fmt: skip
        received = "WorkflowType = 'ReferralWorkflow' AND ReferralStatus = 'RECEIVED'"
        await asyncio.sleep(30)  # what the webhooks alone achieve; then one run of the fleet reconciler (5-minutely)
        webhooks = webhook_calls(data) - hooks_before
        received_by_webhook = await count(client, received)
        await reconcile(client, boards, since)
        delivered_s = await wait_count(client, received, n, 60 * 60)
        return {
            **parked,
            "annotations": len(task_ids),
            "webhooks_received": webhooks,
            "received_30s_after_decisions_by_webhook": received_by_webhook,
            "decisions_to_all_received_s": round(time.monotonic() - decided, 1),
            "received_after_reconciler_s": round(delivered_s, 1),
        }
    finally:
        stack.stop()


PLOTTED = [("park_cpu_s_per_referral", "CPU s per referral to park"), ("rss_mb", "worker RSS (MB), CPU + GPU"),
           ("temporal_db_kb_per_referral", "Temporal DB (KiB) per referral"),
           ("latency_ms_p50_p95", "GET /referrals?status p95 (ms)"),
           ("idle_studio_requests_per_min", "Label Studio requests/min, idle"),
           ("decisions_to_all_received_s", "decisions → all delivered (s)")]  # fmt: skip


def figure_of(row: dict[str, Any], key: str) -> float | None:
    if key == "rss_mb":
        return float(row["rss_mb"]["workers.cpu"] + row["rss_mb"]["workers.gpu"])
    if key == "latency_ms_p50_p95":
        return float(row["latency_ms_p50_p95"]["list_by_status"][1])
    return row.get(key)  # absent from a --park-only run


def plot(rows: list[dict[str, Any]], out: Path) -> None:
    """One panel per figure against N (the latest run of each N that has it), log-scaled N."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(PLOTTED), figsize=(4 * len(PLOTTED), 3.2))
    for axis, (key, title) in zip(axes, PLOTTED, strict=True):
        latest = {row["referrals"]: value for row in rows if (value := figure_of(row, key)) is not None}
        axis.plot(sorted(latest), [latest[n] for n in sorted(latest)], marker="o")
        axis.set_xscale("log")
        axis.set_title(title, fontsize=9)
        axis.set_xlabel("open referrals (N)")
        axis.set_ylim(bottom=0)
    figure.tight_layout()
    figure.savefig(out, dpi=110)


def measure(n: int, idle_s: float, park_only: bool, out: Path) -> dict[str, object]:
    """One run on a fresh data folder: its figures appended to `out` (JSON lines), every run drawn beside it."""
    with tempfile.TemporaryDirectory(prefix="referral-scale-") as folder:
        result = asyncio.run(run(n, Path(folder), idle_s, park_only))
    out.parent.mkdir(exist_ok=True)
    with out.open("a") as f:
        f.write(json.dumps(result, ensure_ascii=False) + "\n")
    redraw(out)
    return result


def redraw(out: Path) -> None:
    plot([json.loads(line) for line in out.read_text().splitlines() if line.strip()], out.with_suffix(".png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--referrals", type=int, default=100)
    parser.add_argument("--idle-s", type=float, default=120, help="how long to watch the parked referrals idle")
    parser.add_argument("--park-only", action="store_true", help="stop once parked and idle (no decisions)")
    parser.add_argument("--plot-only", action="store_true", help="only redraw bench/data/scale.png from the runs")
    args = parser.parse_args()
    out = ROOT / "bench" / "data" / "scale.jsonl"
    if args.plot_only:
        redraw(out)
    else:
        print(json.dumps(measure(args.referrals, args.idle_s, args.park_only, out), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
