"""Errors that services raise for the views to turn into answers."""
from __future__ import annotations


class ConflictError(Exception):
    """The data changed under the caller (stale version, capacity taken): answer 409."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class StaleError(ConflictError):
    """The caller edited an old version of the object."""

    def __init__(self, message: str = "This was changed by someone else. Reload and try again."):
        super().__init__(message)
