"""The hospital network: regions and institutions, loaded from YAML."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from referral.models import ReferralRequest
from referral.review_plan import ReviewPlan


class Tier(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"


class Institution(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str
    tier: Tier
    gateway_url: str
    hira_code: str | None = Field(default=None, description="요양기관기호 (HIRA institution number)")
    hira_type: str | None = Field(
        default=None,
        pattern=r"^\d{2}$",
        description="HIRA institution type (01 상급종합병원 ...); by tier if not given",
    )
    pacs_url: str | None = Field(default=None, description="DICOMweb root of the institution's PACS")
    review_board_url: str | None = Field(
        default=None, description="the institution's own Label Studio: its clinicians see only its review tasks"
    )
    region: str = ""


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    institutions: list[Institution]


class UnknownInstitution(ValueError):
    """Raised for an institution code that is not in the network."""


class Network(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regions: list[Region]
    review_plan: ReviewPlan = Field(default_factory=ReviewPlan)

    def institutions(self) -> dict[str, Institution]:
        return {i.code: i.model_copy(update={"region": r.code}) for r in self.regions for i in r.institutions}

    def institution(self, code: str) -> Institution:
        try:
            return self.institutions()[code]
        except KeyError:
            raise UnknownInstitution(f"unknown institution code {code!r}") from None

    def check_request(self, request: ReferralRequest) -> None:
        """Both ends must be institutions of the network, and different ones."""
        self.institution(request.referring.org)
        self.institution(request.receiving.org)
        if request.referring.org == request.receiving.org:
            raise UnknownInstitution("referring and receiving institution must differ")


def load_network(path: Path | None = None) -> Network:
    if path is None:
        return default_network()
    return _parse(path.read_text(encoding="utf-8"))


def _packaged_text() -> str:
    return resources.files("referral").joinpath("data/network.yaml").read_text(encoding="utf-8")


@cache
def default_network() -> Network:
    return _parse(_packaged_text())


def write_network(target: Path, endpoints: dict[str, dict[str, str]], source: Path | None = None) -> Path:
    """A copy of the network file (`source`, or the packaged one) with some institutions' endpoints replaced,
    e.g. {"knuh": {"pacs_url": ...}}: the network a local stack or a test deployment runs on."""
    raw = yaml.safe_load(source.read_text(encoding="utf-8") if source else _packaged_text())
    for region in raw["regions"]:
        for institution in region["institutions"]:
            institution.update(endpoints.get(institution["code"], {}))
    target.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    _parse(target.read_text(encoding="utf-8"))  # what it writes must load
    return target


def _parse(text: str) -> Network:
    network = Network.model_validate(yaml.safe_load(text))
    codes = [i.code for r in network.regions for i in r.institutions]
    duplicates = {c for c in codes if codes.count(c) > 1}
    if duplicates:
        raise ValueError(f"duplicate institution codes in network config: {sorted(duplicates)}")
    return network
