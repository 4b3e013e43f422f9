"""The signing roster: which clinicians may sign drafts for which institution, with their licence numbers
(의사 면허번호) and departments. A decision in Label Studio names an account; only an account on the roster of the
institution whose draft it is can sign it, and the signed document and the FHIR attester carry the roster's
name and licence. YAML, one list per institution code, kept by each hospital (personal data of its staff, not
shipped): `referral reviewer EMAIL --org … --name … --licence … --department …` adds an entry."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field


class Signer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=100)
    licence: str = Field(pattern=r"^[0-9]{1,7}$", description="보건복지부 의사 면허번호")
    department: str = Field(min_length=1, max_length=100)


class Roster(BaseModel):
    model_config = ConfigDict(extra="forbid")

    institutions: dict[str, list[Signer]] = Field(default_factory=dict)

    def signer(self, email: str, org: str) -> Signer | None:
        wanted = email.strip().lower()
        return next((s for s in self.institutions.get(org, []) if s.email.lower() == wanted), None)


def load_roster(path: Path) -> Roster:
    """The roster at `path`; an absent file is an empty roster (nobody may sign)."""
    if not path.exists():
        return Roster()
    return Roster(institutions=yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def add_signer(path: Path, org: str, signer: Signer) -> None:
    """Add or replace `signer` on `org`'s list; the file is written 0600 (staff personal data)."""
    roster = load_roster(path)
    others = [s for s in roster.institutions.get(org, []) if s.email.lower() != signer.email.lower()]
    roster.institutions[org] = [*others, signer]
    data = {code: [s.model_dump() for s in signers] for code, signers in roster.institutions.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        yaml.safe_dump(data, f, allow_unicode=True, sort_keys=True)
    os.replace(path.with_suffix(".tmp"), path)
