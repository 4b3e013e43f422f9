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
    assert services["flows"]["command"] == "python -m flows.fleet.serve"
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


def test_temporal_speaks_mutual_tls_to_every_service_that_talks_to_it(tmp_path: Path) -> None:
    """The frontend requires client certificates; each application service, the UI and the admin tools present
    one (mounted read-only), and the application's settings name them (REFERRAL_TEMPORAL_TLS__*)."""
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    done = subprocess.run(["docker-compose", "-f", "docker-compose.yml", "config"], cwd=tmp_path,
                          capture_output=True, text=True, check=True)  # fmt: skip
    services = yaml.safe_load(done.stdout)["services"]
    temporal = services["temporal"]["environment"]
    assert temporal["TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"] == "true" and temporal["TEMPORAL_TLS_CLIENT1_CA_CERT"]
    ui = services["temporal-ui"]["environment"]
    assert ui["TEMPORAL_TLS_CERT"] == "/certs/ui.pem"
    assert ui["TEMPORAL_AUTH_ENABLED"] == "true" and ui["TEMPORAL_AUTH_PROVIDER_URL"].startswith("https://")
    assert services["temporal-search-attributes"]["environment"]["TEMPORAL_TLS_CLIENT_CERT_PATH"]
    from referral.config import TemporalTls

    clients = [n for n, s in services.items() if "REFERRAL_TEMPORAL_ADDRESS" in (s.get("environment") or {})]
    assert {"api", "cpu-worker", "gpu-worker", "flows", "gateways"} <= set(clients)
    for name in [*clients, "temporal", "temporal-ui", "temporal-search-attributes"]:
        assert any(str(v).endswith(":/certs:ro") for v in services[name]["volumes"]), name
    for name in clients:
        env = services[name]["environment"]
        fields = {f: env[f"REFERRAL_TEMPORAL_TLS__{f.upper()}"] for f in TemporalTls.model_fields}
        assert fields["cert_path"].startswith("/certs/") and fields["server_name"] == "temporal", name


def test_the_scale_profile_adds_a_second_worker_per_queue(tmp_path: Path) -> None:
    """`docker-compose --profile scale`: two CPU and two GPU workers against the same Temporal (PostgreSQL) and
    MinIO; without the profile, one of each."""
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")

    def services(*profile: str) -> dict[str, dict]:  # type: ignore[type-arg]
        done = subprocess.run(["docker-compose", *profile, "-f", "docker-compose.yml", "config"], cwd=tmp_path,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return yaml.safe_load(done.stdout)["services"]  # type: ignore[no-any-return]

    scaled = services("--profile", "scale")
    for queue in ("cpu-worker", "gpu-worker"):
        second = scaled[f"{queue}-2"]
        assert second["profiles"] == ["scale"] and "profiles" not in scaled[queue]  # started only with the profile
        assert second["command"] == scaled[queue]["command"] and second["environment"] == scaled[queue]["environment"]
        assert "healthcheck" in second
    assert scaled["gpu-worker-2"]["deploy"]["resources"]["reservations"]["devices"][0]["driver"] == "nvidia"
