"""Eval harness: datasets, metrics, runner (filled by the evals issue)."""
