"""Failures of the referral's activities: which are final (a bad document), how model activities are retried,
and how a failure is described on the referral's status (the error type and message, never a stack trace)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

DOCUMENT_ERRORS = ["DocumentRejected", "DocumentMissing", "IntegrityError", "ObjectNotFound"]
# Model activities (GPU queue): back off up to a minute through worker restarts; a bad document is final.
MODEL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=10,
    non_retryable_error_types=DOCUMENT_ERRORS,
)


def failure_detail(err: ActivityError) -> str:
    cause = err.cause
    return f"{cause.type}: {cause.message}" if isinstance(cause, ApplicationError) else str(cause)
