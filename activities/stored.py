"""Reading a stored object inside an activity: an object that is missing or fails its hash check will not
appear on a retry, so the activity fails at once, non-retryably, naming what could not be read."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from referral.storage import DocumentStore, IntegrityError, ObjectNotFound


def read_stored(store: DocumentStore, key: str, what: str) -> bytes:
    try:
        return store.get(key)
    except (ObjectNotFound, IntegrityError) as err:
        raise ApplicationError(
            f"{what} cannot be read: {type(err).__name__}", type=type(err).__name__, non_retryable=True
        ) from None
