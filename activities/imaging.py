"""Imaging I/O on the CPU worker: find the patient's prior studies in the referring PACS at intake (QIDO-RS), and
copy them to the receiving PACS once the referral is delivered (WADO-RS → STOW-RS, one instance at a time,
resuming from the heartbeat). A PACS that does not answer is retried by the workflow; a refusal is final."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from referral.models import Referral
from referral.network import Network
from referral.pacs.dicomweb import DicomWebClient, PacsRefused, PacsUnavailable
from referral.pacs.models import StudyRef, StudySearch, StudyTransfer
from referral.pacs.studies import match_studies


class FindStudiesInput(BaseModel):
    referral: Referral
    lookback_days: int = Field(default=730, ge=1)


class FindStudiesResult(BaseModel):
    configured: bool
    search: StudySearch = Field(default_factory=StudySearch)


class TransferStudiesInput(BaseModel):
    studies: list[StudyRef]
    target_org: str


class TransferStudiesResult(BaseModel):
    configured: bool
    transfer: StudyTransfer | None = None


def _pacs_error(err: PacsUnavailable | PacsRefused) -> ApplicationError:
    if isinstance(err, PacsRefused):
        return ApplicationError(str(err), type="PacsRefused", non_retryable=True)
    return ApplicationError(str(err), type="PacsUnavailable")


class ImagingActivities:
    def __init__(
        self, network: Network, timeout_s: float = 30.0, credentials: dict[str, tuple[str, str]] | None = None
    ) -> None:
        self.network = network
        self.timeout_s = timeout_s
        self.credentials = credentials or {}  # institution → PACS user and password (HTTP basic)

    def _client(self, org: str) -> DicomWebClient | None:
        url = self.network.institution(org).pacs_url
        return DicomWebClient(url, self.timeout_s, self.credentials.get(org)) if url else None

    @activity.defn
    def find_prior_studies(self, inp: FindStudiesInput) -> FindStudiesResult:
        referral = inp.referral
        client = self._client(referral.referring.org)
        if client is None:
            return FindStudiesResult(configured=False)
        since = (referral.submitted_at - timedelta(days=inp.lookback_days)).date()
        with client:
            try:
                found = client.search_studies(referral.patient.identifier, since)
            except (PacsUnavailable, PacsRefused) as err:
                raise _pacs_error(err) from None
        return FindStudiesResult(configured=True,
                                 search=match_studies(referral.patient, found, referral.referring.org))  # fmt: skip

    @activity.defn
    def transfer_studies(self, inp: TransferStudiesInput) -> TransferStudiesResult:
        target = self._client(inp.target_org)
        if target is None:
            return TransferStudiesResult(configured=False)
        details = activity.info().heartbeat_details
        done: set[str] = set(details[0]) if details else set()  # instance uids stored by earlier attempts
        with target:
            try:
                for study in inp.studies:
                    source = self._client(study.source_org)
                    if source is None:
                        raise PacsRefused(f"institution {study.source_org} has no PACS configured")
                    with source:
                        for series_uid, instance_uid in source.instances(study.study_uid):
                            if instance_uid in done:
                                continue
                            data = source.retrieve_instance(study.study_uid, series_uid, instance_uid)
                            target.store_instances([data])
                            done.add(instance_uid)
                            activity.heartbeat(sorted(done))
            except (PacsUnavailable, PacsRefused) as err:
                raise _pacs_error(err) from None
        return TransferStudiesResult(configured=True, transfer=StudyTransfer(
            studies=len(inp.studies), instances=len(done), target_org=inp.target_org))  # fmt: skip
