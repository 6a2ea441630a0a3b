"""The one error type for bad input data."""


class DataError(Exception):
    """A problem with input data; the message names the file (and column and rows where known)."""
