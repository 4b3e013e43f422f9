"""One durable Temporal workflow per referral: `ReferralWorkflow` (workflow.py) with its run, updates, signals and
queries, composed of one stage per concern (review, media, delivery, orders, outcome, SLA timers), and one child
workflow per review round, `ReviewRoundWorkflow` (review_round.py), on the reviewing side's board. What passes
between them is contract.py; the referral's inputs and outputs are the typed models of flows/referral/io.py.
Clients call them by method reference (`ReferralWorkflow.apply_event`), never by name, importing each from its
module: the package imports nothing, so an activity may import the contract without importing the workflows."""
