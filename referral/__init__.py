"""Referral AX: AI-assisted referral (의뢰) and return referral (회송), one Temporal workflow per referral."""
