"""`python -m slack_helper` runs the CLI."""

from slack_helper.cli import app

app()
