"""The scale bench, CI-sized: bench/scale.py's whole run (its own `referral dev` stack, referrals parked in
review, an idle window, decisions through Label Studio's API, all delivered) at a small N. It asserts that every
figure is produced and consistent with what was driven, not the figures' values (those are the benchmark's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import scale

pytestmark = pytest.mark.slow

N = 40


def test_scale_bench_produces_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "scale.jsonl"
    result = scale.measure(N, idle_s=10, park_only=False, out=out)

    assert json.loads(out.read_text()) == json.loads(json.dumps(result, ensure_ascii=False))
    assert result["referrals"] == N
    assert result["annotations"] == N  # one draft a referral, each approved on the board
    assert result["park_wall_s_per_referral"] > 0 and result["park_cpu_s_per_referral"] > 0  # type: ignore[operator]
    by_process = result["park_cpu_s_per_referral_by_process"]
    assert {"start-dev", "workers.cpu", "workers.gpu", "label-studio"} <= set(by_process)  # type: ignore[arg-type]
    assert all(mb > 0 for mb in result["rss_mb"].values())  # type: ignore[attr-defined]
    assert result["temporal_db_kb_per_referral"] > 0  # type: ignore[operator]
    assert result["history_events_parked"] > 0 and result["review_round_events_parked"] > 0  # type: ignore[operator]
    assert set(result["latency_ms_p50_p95"]) == {"list_by_status", "overdue"}  # type: ignore[arg-type]
    for key in ("idle_studio_requests_per_min", "idle_cpu_s_per_min", "idle_history_events_added_per_referral"):
        assert isinstance(result[key], float | int) and result[key] >= 0  # type: ignore[operator]
    assert result["idle_reconciler_studio_requests"] >= 1  # type: ignore[operator]
    assert result["idle_reconciler_hinted"] == 0  # nothing changed on the board while the referrals waited
    assert result["received_after_reconciler_s"] >= 0  # type: ignore[operator]
    assert out.with_suffix(".png").read_bytes().startswith(b"\x89PNG")


def test_request_lines_of_label_studio_are_counted_once_and_by_kind(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    server = "[2026-12-02 00:00:01,5] [django.server::log_message::213] [INFO]"
    line = f'{server} "GET /api/tasks/12/?fields=all HTTP/1.1" 200 9'
    other = f'{server} "POST /api/tasks/7/annotations/ HTTP/1.1" 201 3'
    (logs / "label-studio.log").write_text("\n".join([line, line, "[…] [core.utils] [INFO] started", other, other]))

    requests = scale.studio_requests(tmp_path)

    assert [scale.request_path(r) for r in requests] == ["GET /api/tasks/N/", "POST /api/tasks/N/annotations/"]
