"""Worker entry points: which workflows and activities run where, nothing else."""
