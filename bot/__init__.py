"""Slack bot on slack-bolt (filled by the bot issue)."""
