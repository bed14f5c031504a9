"""The error a caller (person or model) can fix by changing the arguments."""


class ToolInputError(ValueError):
    """Bad arguments (unknown channel or user, unsafe SQL): the message says what to change."""
