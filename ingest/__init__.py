"""Sources (export, Web API, events) -> normalised messages -> Postgres + outbox -> Chroma."""
