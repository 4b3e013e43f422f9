"""How a failed activity is described on the referral's status: the error type and message the activity gave,
never a stack trace."""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError


def failure_detail(err: ActivityError) -> str:
    cause = err.cause
    return f"{cause.type}: {cause.message}" if isinstance(cause, ApplicationError) else str(cause)
