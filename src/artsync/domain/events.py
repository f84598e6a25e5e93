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

    def as_dict(self) -> dict[str, Any]:
        """The event as plain JSON values, as the API, the CLI and the live channel show it."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "action": self.action,
            "before": self.before,
            "after": self.after,
        }

    def summary(self) -> str:
        """One line for a person: ``card ART-1@Phoenix moved: iteration 2 → 3``."""
        before, after = self.before or {}, self.after or {}
        if self.before is None or self.after is None:
            shown = after or before  # a creation shows what it made, a removal what it removed
            detail = ", ".join(
                f"{name} {show(value)}" for name, value in shown.items() if is_plain(value) and name not in HIDDEN
            )
        else:
            detail = ", ".join(
                f"{name} {show(before.get(name))} → {show(after.get(name))}"
                for name in sorted(set(before) | set(after))
                if name not in HIDDEN
                and before.get(name) != after.get(name)
                and is_plain(before.get(name))
                and is_plain(after.get(name))
            )
        return f"{self.entity} {self.entity_id} {self.action}" + (f": {detail}" if detail else "")


def is_plain(value: object) -> bool:
    return not isinstance(value, (dict, list))


HIDDEN = {"version", "ref", "key"}  # bookkeeping, or already named by the entity id


def show(value: object) -> str:
    """A value as a person reads it in the log."""
    return "—" if value is None else str(value)
