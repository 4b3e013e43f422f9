"""The HTTP answer to a workflow's refusal of an update, one table for every route: 403 not this side's referral,
404 no such thing on it, 400 the request lacks what the act needs (a coded reason, an appointment), 409 the act is
not allowed now."""

from fastapi import HTTPException

from referral.operations import EventRefused

_STATUS = {"NotAParty": 403, "NotFound": 404, "ReasonRequired": 400, "AppointmentRequired": 400}


def event_refused(err: EventRefused) -> HTTPException:
    return HTTPException(_STATUS.get(err.kind, 409), str(err))
