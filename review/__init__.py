"""Clinician review in Label Studio (issue: clinician review). Nothing here yet: drafts do not exist until the
summaries stage lands, and the review stage is not faked in the meantime."""
