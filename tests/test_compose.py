from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_file_parses_and_runs_the_workers_and_api() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"temporal", "api", "cpu-worker", "gpu-worker"} <= set(services)
    assert services["cpu-worker"]["command"] == "python -m workers.cpu"
    assert services["gpu-worker"]["command"] == "python -m workers.gpu"
    for name in ("api", "cpu-worker", "gpu-worker"):
        assert services[name]["environment"]["REFERRAL_TEMPORAL_ADDRESS"] == "temporal:7233"
