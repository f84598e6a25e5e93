"""The one exception family of artsync.

Every error a person can cause is an ``ArtsyncError`` with a ``code`` and a
message that says what was wrong and how to fix it. The CLI turns it into one
red line; the web layer turns it into a problem+json body.
"""

from __future__ import annotations

from typing import Any


class ArtsyncError(Exception):
    """Something a person asked for could not be done; the message says why."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(ArtsyncError):
    """The train, card, risk or other item named does not exist."""

    code = "not-found"


class InvalidInputError(ArtsyncError):
    """The input breaks a rule of the practice or of the format."""

    code = "invalid"


class ForbiddenError(ArtsyncError):
    """The person is known but their role does not allow this."""

    code = "forbidden"


class UnauthenticatedError(ArtsyncError):
    """No valid login, session or token was given."""

    code = "unauthenticated"


class ConflictError(ArtsyncError):
    """The change clashes with what is already there (a duplicate key, say)."""

    code = "conflict"


class StaleVersionError(ArtsyncError):
    """The change was based on an old version; ``current`` is the state now."""

    code = "stale"

    def __init__(self, message: str, *, current: dict[str, Any]) -> None:
        super().__init__(message)
        self.current = current


class ImportFailedError(InvalidInputError):
    """An import was refused; ``problems`` lists each place that was wrong."""

    code = "import-failed"

    def __init__(self, problems: list[str]) -> None:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"nothing was imported: {shown}{more}")
        self.problems = problems


class StoreUnavailableError(ArtsyncError):
    """The database cannot be reached or has not been set up."""

    code = "store-unavailable"


class TrackerError(ArtsyncError):
    """The team tracker (Jira, Azure DevOps) could not be read or written: down, refusing, or answering nonsense.
    The message names the tracker and what to check, never a secret."""

    code = "tracker-unavailable"
