"""The one place services ask whether a person may do something."""

from __future__ import annotations

from collections.abc import Iterable

from artsync.domain.permissions import Action, Actor, allowed
from artsync.errors import ForbiddenError


def authorize(actor: Actor, train: str, action: Action, teams: Iterable[str | None] = ()) -> None:
    """Raise ForbiddenError unless ``actor`` may do ``action`` on ``train`` for items of ``teams``."""
    decision = allowed(actor, train, action, teams)
    if not decision.ok:
        raise ForbiddenError(decision.reason)
