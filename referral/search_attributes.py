"""Custom search attributes operators filter on in the Temporal UI. None of them may hold PHI."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

REFERRAL_STATUS = SearchAttributeKey.for_keyword("ReferralStatus")
REFERRAL_STAGE = SearchAttributeKey.for_keyword("ReferralStage")
REFERRAL_PRIORITY = SearchAttributeKey.for_keyword("ReferralPriority")
REFERRING_ORG = SearchAttributeKey.for_keyword("ReferringOrg")
RECEIVING_ORG = SearchAttributeKey.for_keyword("ReceivingOrg")
REFERRAL_DUE_TIME = SearchAttributeKey.for_datetime("ReferralDueTime")
REVIEW_REMINDERS = SearchAttributeKey.for_int("ReviewReminders")
REVIEW_ESCALATED = SearchAttributeKey.for_bool("ReviewEscalated")
SLA_REMINDERS = SearchAttributeKey.for_int("SlaReminders")
SLA_ESCALATED = SearchAttributeKey.for_bool("SlaEscalated")

ALL_KEYS: list[SearchAttributeKey] = [
    REFERRAL_STATUS,
    REFERRAL_STAGE,
    REFERRAL_PRIORITY,
    REFERRING_ORG,
    RECEIVING_ORG,
    REFERRAL_DUE_TIME,
    REVIEW_REMINDERS,
    REVIEW_ESCALATED,
    SLA_REMINDERS,
    SLA_ESCALATED,
]


def cli_flags() -> list[str]:
    """`temporal server start-dev --search-attribute Name=Type` for each key."""
    kinds = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "INT": "Int", "BOOL": "Bool"}
    flags: list[str] = []
    for key in ALL_KEYS:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name]}"]
    return flags
