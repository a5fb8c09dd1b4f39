"""Benchmark scripts that print numbers (run from the repo root: python -m bench.<name>)."""
