"""The two stores and nothing else: PostgreSQL (who/when/where) and Chroma (what was said)."""

from db.errors import EmbedderMismatchError, StoreError, UnknownWorkspaceError
from db.stores import StoreConfig, Stores, open_stores

__all__ = [
    "EmbedderMismatchError",
    "StoreConfig",
    "StoreError",
    "Stores",
    "UnknownWorkspaceError",
    "open_stores",
]
