"""Staff accounts of the 진료협력센터 worklist: one per person, of one institution, with a role.

The accounts live in a YAML file (default: data_dir/secrets/staff.yaml) holding argon2id password hashes, never
passwords; `referral staff add` writes it. The file is read again when it changes, so a removed account or a
changed role takes effect on the member's next request."""

from __future__ import annotations

import os
import re
import threading
from enum import StrEnum
from pathlib import Path

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field

from referral.config import write_secret

_HASHER = PasswordHasher()
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD = 10


class StaffRole(StrEnum):
    COORDINATOR = "coordinator"  # 진료협력센터 staff: every action of their side
    CLINICIAN = "clinician"  # a physician of the institution: every action of their side
    READ_ONLY = "read_only"  # sees the worklist and referrals, acts on nothing


# which roles may act on a referral (send events, submit, request the 회송 drafts)
MAY_ACT: dict[StaffRole, bool] = {StaffRole.COORDINATOR: True, StaffRole.CLINICIAN: True, StaffRole.READ_ONLY: False}

ROLE_LABELS: dict[StaffRole, str] = {
    StaffRole.COORDINATOR: "진료협력센터 (coordinator)",
    StaffRole.CLINICIAN: "의료진 (clinician)",
    StaffRole.READ_ONLY: "조회 전용 (read-only)",
}


class StaffAccount(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(pattern=USERNAME.pattern)
    org: str = Field(min_length=1, max_length=64)
    role: StaffRole
    name: str = Field(min_length=1, max_length=100, description="shown in the page header and recorded as actor")
    password_hash: str = Field(min_length=20)

    @property
    def may_act(self) -> bool:
        return MAY_ACT[self.role]


class AccountRefused(ValueError):
    pass


class StaffDirectory:
    """The accounts of a staff file, re-read when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._accounts: dict[str, StaffAccount] = {}

    def _load(self) -> dict[str, StaffAccount]:
        with self._lock:
            try:
                stat = os.stat(self.path)
            except FileNotFoundError:
                self._stamp, self._accounts = None, {}
                return self._accounts
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp != self._stamp:
                raw = yaml.safe_load(self.path.read_text(encoding="utf-8")) or []
                accounts = [StaffAccount.model_validate(entry) for entry in raw]
                self._accounts, self._stamp = {a.username: a for a in accounts}, stamp
            return self._accounts

    def get(self, username: str) -> StaffAccount | None:
        return self._load().get(username)

    def authenticate(self, username: str, password: str) -> StaffAccount | None:
        """The account when the password is right; None otherwise (the same answer for an unknown name)."""
        account = self.get(username.strip().lower())
        if account is None:
            _HASHER.hash(password)  # spend the same time as a wrong password, so names cannot be probed
            return None
        try:
            _HASHER.verify(account.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return account

    def add(self, username: str, org: str, role: StaffRole, name: str, password: str) -> StaffAccount:
        """Add or replace an account (a new password or role for an existing one)."""
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise AccountRefused("username: 2–63 of a-z 0-9 . _ - (lower case)")
        if len(password) < MIN_PASSWORD:
            raise AccountRefused(f"the password needs at least {MIN_PASSWORD} characters")
        account = StaffAccount(username=username, org=org, role=role, name=name, password_hash=_HASHER.hash(password))
        accounts = {**self._load(), username: account}
        entries = [a.model_dump(mode="json") for a in sorted(accounts.values(), key=lambda a: a.username)]
        staged = self.path.with_name(self.path.name + ".new")
        staged.unlink(missing_ok=True)
        write_secret(staged, yaml.safe_dump(entries, allow_unicode=True, sort_keys=False))  # 0600, then swapped in
        os.replace(staged, self.path)
        return account
