"""The deterministic sample Slack export: the demo's workspace, and the tests' and evals'."""
