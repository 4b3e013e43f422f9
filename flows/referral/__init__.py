"""One durable Temporal workflow per referral: `ReferralWorkflow` (workflow.py) with its run, updates, signal and
queries, composed of one stage per concern (review, media, delivery, orders, outcome, SLA timers). Its inputs
and outputs are the typed models of referral/workflow_io.py. Clients call it by method reference
(`ReferralWorkflow.apply_event`), never by name."""

from flows.referral.workflow import ReferralWorkflow

__all__ = ["ReferralWorkflow"]
