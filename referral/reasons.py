"""Coded reasons for the events that must say why (decline, return with advice, cancellation, a cancelled or
missed appointment): a value set per event from referral/data/reason_codes.yaml (or a deployment's file), fixed in
each workflow's input when it starts so that the workflow's validator checks the code it was started with."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from referral.states import ReferralEvent


class ReasonRefused(ValueError):
    """A missing or unknown reason code, or a code whose comment is missing. The message names codes only."""


class ReasonCode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    display: str = Field(min_length=1)
    comment: Literal["required", "optional"] = "optional"


class ReasonCodes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str = Field(min_length=1, description="the code system URI the codes are sent with")
    events: dict[ReferralEvent, list[ReasonCode]] = Field(default_factory=dict)

    def coded(self, event: ReferralEvent) -> bool:
        return bool(self.events.get(event))

    def check(self, event: ReferralEvent, code: str | None, comment: str | None) -> ReasonCode | None:
        """The reason code of `event`, or ReasonRefused saying what is wrong; None for an event that takes none."""
        allowed = self.events.get(event, [])
        if not allowed:
            if code:
                raise ReasonRefused(f"event {event} takes no reason code")
            return None
        if not code:
            raise ReasonRefused(f"event {event} requires a reason code: {', '.join(c.code for c in allowed)}")
        found = next((c for c in allowed if c.code == code), None)
        if found is None:
            raise ReasonRefused(f"unknown reason code {code!r} for {event}: {', '.join(c.code for c in allowed)}")
        if found.comment == "required" and not (comment and comment.strip()):
            raise ReasonRefused(f"reason code {code} of {event} requires a comment saying more")
        return found


def load_reason_codes(path: Path | None = None) -> ReasonCodes:
    """The deployment's value sets at `path`, or the packaged ones."""
    if path is None:
        return default_reason_codes()
    return ReasonCodes.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@cache
def default_reason_codes() -> ReasonCodes:
    text = resources.files("referral").joinpath("data/reason_codes.yaml").read_text(encoding="utf-8")
    return ReasonCodes.model_validate(yaml.safe_load(text))
