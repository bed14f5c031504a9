"""Benchmarks behind `slack-helper bench`: outside the runtime packages, run from the CLI."""
