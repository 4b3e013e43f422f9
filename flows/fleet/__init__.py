"""Prefect flows of fleet-level batch work (bulk intake, the daily report, re-processing, the review reconciler)
and how they are served; each starts, queries or pokes referral workflows and holds no referral state."""
