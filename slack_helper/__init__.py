"""The composition root: settings, CLI and the services that wire the packages together."""
