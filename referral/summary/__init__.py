"""Clinical summaries with evidence: every extracted fact points at the span of the source it came from."""
