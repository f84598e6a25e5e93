from __future__ import annotations

from datetime import UTC, datetime

from artsync.domain.events import Event

AT = datetime(2027, 1, 5, 9, 30, tzinfo=UTC)


def test_a_change_is_summarised_as_before_and_after() -> None:
    event = Event(
        7, AT, "bob", "card", "F1@Atlas", "moved", {"iteration": 2, "points": 5}, {"iteration": None, "points": 5}
    )
    assert event.summary() == "card F1@Atlas moved: iteration 2 → —"


def test_a_creation_is_summarised_as_what_it_made() -> None:
    event = Event(1, AT, "alice", "train", "ART", "imported", None, {"teams": 6, "features": 60})
    assert event.summary() == "train ART imported: teams 6, features 60"


def test_a_removal_is_summarised_as_what_it_removed() -> None:
    event = Event(3, AT, "bob", "dependency", "A@X->B@Y", "removed", {"state": "requested"}, None)
    assert event.summary() == "dependency A@X->B@Y removed: state requested"
