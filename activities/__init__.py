"""Temporal activities: one module per stage, each a thin adapter around plain functions."""
