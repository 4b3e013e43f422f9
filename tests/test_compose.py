"""docker-compose.yml: valid for Debian's docker-compose (no engine needed), and every service the code needs
is there with a health check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ONE_SHOT = {"minio-init", "temporal-search-attributes"}
NEEDED = {"temporal", "temporal-db", "temporal-ui", "minio", "minio-init", "label-studio", "label-studio-db",
          "prefect", "flows", "codec", "api", "gateways", "cpu-worker", "gpu-worker"}  # fmt: skip


def test_compose_config_validates(tmp_path: Path) -> None:
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    done = subprocess.run(["docker-compose", "-f", "docker-compose.yml", "config"], cwd=tmp_path,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    assert resolved["services"]["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"][0]["driver"] == "nvidia"


def test_every_needed_service_is_there_with_a_health_check() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert set(services) >= NEEDED
    for name, service in services.items():
        if name not in ONE_SHOT:
            assert "healthcheck" in service, f"{name} has no health check"
    assert services["cpu-worker"]["command"] == "python -m workers.cpu"
    assert services["gpu-worker"]["command"] == "python -m workers.gpu"
    assert services["flows"]["command"] == "python -m flows.serve"
    sa = " ".join(services["temporal-search-attributes"]["command"])
    from referral.search_attributes import ALL_KEYS

    assert all(key.name in sa for key in ALL_KEYS)  # the code's search attributes are registered


def test_worker_health_check_finds_a_running_worker() -> None:
    probe = subprocess.run([sys.executable, "-m", "workers.alive", "workers.nonexistent"], check=False)
    assert probe.returncode == 1
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "-m", "workers.fake"])
    try:
        assert subprocess.run([sys.executable, "-m", "workers.alive", "workers.fake"], check=False).returncode == 0
    finally:
        worker.kill()
