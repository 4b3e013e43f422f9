"""`referral staff`: a 진료협력센터 worklist account for one member of an institution's staff."""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

from referral.config import Settings
from referral.network import load_network
from referral.web.accounts import StaffDirectory, StaffRole


async def cmd_staff(args: argparse.Namespace, settings: Settings) -> int:
    load_network(settings.network_file).institution(args.org)  # UnknownInstitution: exit 2
    generated = not args.password_stdin
    password = secrets.token_urlsafe(12) if generated else sys.stdin.readline().rstrip("\n")
    account = StaffDirectory(settings.staff_path).add(args.username, args.org, StaffRole(args.role), args.name,
                                                      password)  # fmt: skip
    print(f"staff account {account.username} ({account.role}, {account.org}) in {settings.staff_path}")
    if generated:
        print(f"password (shown once): {password}")
    return 0


def add_staff_parser(sub: Any) -> None:
    staff = sub.add_parser("staff", help="a worklist account for a member of an institution's staff (/app)")
    staff.add_argument("username", help="lower-case sign-in name, e.g. coord.knuh")
    staff.add_argument("--org", required=True, help="the member's institution (network code)")
    staff.add_argument("--role", required=True, choices=[r.value for r in StaffRole])
    staff.add_argument("--name", required=True, help="name shown on the page and recorded with each action")
    staff.add_argument("--password-stdin", action="store_true", help="read the password from standard input "
                       "(default: a generated one, printed once)")  # fmt: skip
    staff.set_defaults(run=cmd_staff)
