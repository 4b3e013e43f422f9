"""Dictation and imaging stages of ReferralWorkflow (a mixin).

At intake, beside OCR: each dictation is transcribed on the GPU queue, and the referring PACS is searched for
the patient's prior studies on the CPU queue. After delivery, those studies are copied to the receiving PACS.
A PACS that stays down is retried, then reported in `status.imaging`; the referral goes on without images."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, CancelledError

with workflow.unsafe.imports_passed_through():
    from activities.imaging import FindStudiesInput, ImagingActivities, TransferStudiesInput
    from activities.transcribe import TranscribeActivities, TranscribeInput
    from flows.referral.failures import failure_detail
    from flows.referral.io import ConsentWithdrawalRecord, TranscriptSummary, WorkflowSettings
    from referral.models import Referral
    from referral.pacs.models import ImagingStatus, ImagingStep

_ASR_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=10,
    non_retryable_error_types=["AudioUndecodable", "NoSpeechRecognised", "AsrUnavailable", "ObjectNotFound"],
)


class MediaStage:
    _referral: Referral
    _settings: WorkflowSettings
    _transcripts: list[TranscriptSummary]
    _imaging: ImagingStatus | None
    _consent_withdrawn: ConsentWithdrawalRecord | None

    def _init_media(self) -> None:
        self._transcripts = []
        self._imaging = None

    async def _transcribe_dictations(self) -> list[TranscriptSummary]:
        return list(
            await asyncio.gather(
                *(
                    workflow.execute_activity_method(
                        TranscribeActivities.transcribe_dictation,
                        TranscribeInput(dictation=dictation, chunk_s=self._settings.asr_chunk_s),
                        task_queue=self._settings.gpu_task_queue,
                        # Vosk runs at about 0.7x real time on one core; room for a busy worker
                        start_to_close_timeout=timedelta(seconds=300 + 3 * dictation.duration_s),
                        heartbeat_timeout=timedelta(seconds=self._settings.ocr_heartbeat_timeout_s),
                        retry_policy=_ASR_RETRY,
                    )
                    for dictation in self._referral.dictations
                )
            )
        )

    def _pacs_retry(self) -> RetryPolicy:
        return RetryPolicy(
            initial_interval=timedelta(seconds=self._settings.pacs_retry_initial_s),
            maximum_interval=timedelta(minutes=2),
            maximum_attempts=self._settings.pacs_attempts,
            non_retryable_error_types=["PacsRefused", "UnknownInstitution"],
        )

    async def _find_studies(self) -> None:
        self._imaging = ImagingStatus()
        try:
            found = await workflow.execute_activity_method(
                ImagingActivities.find_prior_studies,
                FindStudiesInput(referral=self._referral, lookback_days=self._settings.pacs_lookback_days),
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=self._pacs_retry(),
            )
        except ActivityError as err:
            if isinstance(err.cause, CancelledError):
                return  # the referral closed meanwhile
            self._imaging.search, self._imaging.error = ImagingStep.FAILED, f"PACS search failed: {failure_detail(err)}"
            return
        if not found.configured:
            self._imaging.search = ImagingStep.NOT_CONFIGURED
            return
        self._imaging.search = ImagingStep.DONE
        self._imaging.studies, self._imaging.excluded = found.search.studies, found.search.excluded

    async def _transfer_studies(self, target_org: str) -> None:
        if self._imaging is None or not self._imaging.studies or self._consent_withdrawn is not None:
            return  # nothing to copy, or the patient withdrew the consent to send
        self._imaging.transfer = ImagingStep.RUNNING
        instances = sum(s.instances or 1 for s in self._imaging.studies)
        try:
            result = await workflow.execute_activity_method(
                ImagingActivities.transfer_studies,
                TransferStudiesInput(studies=self._imaging.studies, target_org=target_org),
                start_to_close_timeout=timedelta(seconds=120 + 10 * instances),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=self._pacs_retry(),
            )
        except ActivityError as err:
            if isinstance(err.cause, CancelledError):
                return  # the referral closed meanwhile
            self._imaging.transfer, self._imaging.error = (
                ImagingStep.FAILED,
                f"study transfer failed: {failure_detail(err)}",
            )
            return
        self._imaging.transfer = ImagingStep.DONE if result.configured else ImagingStep.NOT_CONFIGURED
        self._imaging.transferred = result.transfer
