"""`flows.referral`: the Temporal workflow of one referral (its contract and its stages); `flows.fleet`: the Prefect
flows of fleet-level batch work, which start or query referral workflows and never hold referral state."""
