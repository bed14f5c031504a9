"""The CLI's sub-apps, one module per door; each only parses, dispatches and prints."""
