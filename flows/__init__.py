"""Temporal workflows (one per referral) and, later, Prefect flows for fleet-level batch work."""
