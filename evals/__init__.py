"""The eval harness: scenario files, the runner, policy invariants, metrics and reports (docs/evals.md)."""
