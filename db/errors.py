"""Domain errors of the stores, raised instead of driver errors at the store boundary."""


class StoreError(Exception):
    """A store cannot do what was asked; the message says what to change."""


class UnknownWorkspaceError(StoreError):
    """No workspace matches the given name or id."""


class EmbedderMismatchError(StoreError):
    """A collection was built with another embedding model than the one configured."""


class UnsafeRoleError(StoreError):
    """The application role could bypass row-level security, so it must not be used."""
