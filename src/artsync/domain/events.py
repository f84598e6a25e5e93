"""An entry of the train's event log: who changed what, when, from what to what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    """One change to a train; ``seq`` is gap-free and increasing per train."""

    seq: int
    at: datetime
    actor: str
    entity: str  # card, dependency, risk, train, ...
    entity_id: str  # the item's key or ref, as people write it
    action: str  # moved, added, removed, roamed, imported, replaced, ...
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def summary(self) -> str:
        """One line for a person: ``card ART-1@Phoenix moved: iteration 2 → 3``."""
        changes = []
        before, after = self.before or {}, self.after or {}
        for name in sorted(set(before) | set(after)):
            old, new = before.get(name), after.get(name)
            if old != new and not isinstance(old, (dict, list)) and not isinstance(new, (dict, list)):
                changes.append(f"{name} {show(old)} → {show(new)}")
        detail = f": {', '.join(changes)}" if changes else ""
        return f"{self.entity} {self.entity_id} {self.action}{detail}"


def show(value: object) -> str:
    """A value as a person reads it in the log."""
    return "—" if value is None else str(value)
