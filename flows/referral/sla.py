"""SLA timers of ReferralWorkflow (a mixin): each wait (receipt, accept/decline, acknowledgement...) has a due
time; when it passes with the referral still waiting, a reminder is recorded, then one every configured
interval, and after N reminders the referral is escalated. Both show in the status and in the search
attributes SlaReminders / SlaEscalated, so operators can list them in the Temporal UI."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from flows.referral.io import WorkflowSettings
    from referral.search_attributes import SLA_ESCALATED, SLA_REMINDERS
    from referral.states import ReferralState


class SlaTimers:
    _settings: WorkflowSettings
    _state: ReferralState
    _due_at: datetime | None

    def _init_sla(self) -> None:
        self._sla_reminders = 0
        self._sla_escalated = False
        self._sla_next: datetime | None = None

    def _sla_reset(self) -> None:
        """A new wait begins (the state changed): its own reminders start from zero at its due time."""
        self._sla_next = self._due_at
        if self._sla_reminders or self._sla_escalated:
            self._sla_reminders, self._sla_escalated = 0, False
            self._sla_mirror()

    def _sla_timeout(self) -> timedelta | None:
        if self._sla_next is None:
            return None
        return max(self._sla_next - workflow.now(), timedelta(seconds=0.01))

    def _sla_remind(self) -> None:
        self._sla_reminders += 1
        self._sla_escalated = self._sla_reminders >= self._settings.sla_escalate_after
        self._sla_next = workflow.now() + timedelta(seconds=self._settings.sla_reminder_every_s)
        workflow.logger.warning(
            "referral overdue in %s: reminder %d (escalated: %s)", self._state, self._sla_reminders, self._sla_escalated
        )
        self._sla_mirror()

    def _sla_mirror(self) -> None:
        workflow.upsert_search_attributes(
            [SLA_REMINDERS.value_set(self._sla_reminders), SLA_ESCALATED.value_set(self._sla_escalated)]
        )
