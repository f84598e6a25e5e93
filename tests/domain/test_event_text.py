"""Every change of the log reads as a sentence a person would say, naming who did it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from artsync.domain.event_text import ADMINISTRATIVE, TEXTS, sentence
from artsync.domain.events import CATALOGUE, Entity, Event

AT = datetime(2026, 11, 25, 10, tzinfo=UTC)


def event(entity: str, entity_id: str, action: str, before: dict | None, after: dict | None) -> Event:
    return Event(7, AT, "rita", entity, entity_id, action, before, after)


def card(iteration: int | None, status: str = "not started") -> dict:
    return {"ref": "PAY-169@Atlas", "iteration": iteration, "points": 5, "status": status, "version": 2}


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (event("card", "PAY-169@Atlas", "moved", card(4), card(1)), "rita moved PAY-169@Atlas from I4 to I1"),
        (event("card", "PAY-169@Atlas", "moved", card(None), card(2)), "rita planned PAY-169@Atlas in I2"),
        (event("card", "PAY-169@Atlas", "moved", card(3), card(None)), "rita unplanned PAY-169@Atlas (it was in I3)"),
        (
            event("card", "PAY-169@Atlas", "status", card(1, "in progress"), card(1, "done")),
            "rita marked PAY-169@Atlas done (it was in progress)",
        ),
        (
            event("dependency", "PAY-113@Aurora->PAY-169@Atlas", "broken", {}, {"state": "broken"}),
            "rita declared that Atlas will not deliver PAY-169@Atlas for PAY-113@Aurora as planned",
        ),
        (
            event("member", "vic", "granted", None, {"role": "product_owner", "team": "Phoenix"}),
            "rita made vic product owner of Phoenix",
        ),
        (
            event("conflict", "C1", "reported", None, {"kind": "capacity", "summary": "Lynx is over capacity in I3"}),
            "rita reported conflict C1 (capacity): Lynx is over capacity in I3",
        ),
        (
            event("pi", "PI-2026.4", "advanced", {"state": "planning"}, {"state": "executing"}),
            "rita moved PI-2026.4 from planning to executing",
        ),
    ],
)
def test_changes_read_as_sentences(change: Event, said: str) -> None:
    assert sentence(change) == said


def test_every_kind_of_change_has_its_sentence() -> None:
    assert set(TEXTS) == set(CATALOGUE), "an entity without sentences reads as field dumps"


def test_a_payload_the_sentence_cannot_read_falls_back_to_the_fields() -> None:
    odd = event("card", "PAY-1@Atlas", "moved", None, None)
    assert sentence(odd).startswith("rita ") and "PAY-1@Atlas" in sentence(odd)


def test_access_changes_are_administrative_and_plan_changes_are_not() -> None:
    assert Entity.MEMBER in ADMINISTRATIVE and Entity.CARD not in ADMINISTRATIVE
