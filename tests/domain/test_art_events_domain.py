"""The pure rules of the ART events with plain values: keys, aging, escalation, conflicts from findings,
who hears about what, retries and signatures, the cadence calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from artsync.domain.cadence import PI
from artsync.domain.calendar import train_calendar
from artsync.domain.conflicts import from_finding
from artsync.domain.events import Event
from artsync.domain.findings import Finding
from artsync.domain.impediments import Impediment, escalated
from artsync.domain.meetings import ActionItem
from artsync.domain.notifications import Interest, retry_after, sign, teams_of, verify, webhook_payload, why
from artsync.domain.plan import next_key

AT = datetime(2026, 11, 2, 9, tzinfo=UTC)


def event(entity: str, entity_id: str, after: dict | None = None, action: str = "moved") -> Event:
    return Event(1, AT, "rita", entity, entity_id, action, {} if after is not None else None, after)


def test_keys_are_never_handed_out_twice() -> None:
    assert next_key("I", []) == "I1"
    assert next_key("I", ["I1", "I3", "X9", "Ifoo"]) == "I4"


def test_an_impediment_ages_until_it_is_resolved_and_escalates_only_upwards() -> None:
    raised = Impediment("I1", "No staging", "team", "mia", AT)
    assert (raised.age(date(2026, 11, 6)), raised.aging(date(2026, 11, 6))) == (4, False)
    assert raised.aging(date(2026, 11, 7))
    resolved = Impediment("I1", "No staging", "team", "mia", AT, state="resolved", resolved_at=AT + timedelta(days=2))
    assert (resolved.age(date(2027, 1, 1)), resolved.aging(date(2027, 1, 1))) == (2, False)
    assert [escalated("team"), escalated("train"), escalated("portfolio")] == ["train", "portfolio", None]


def test_an_action_item_is_overdue_after_its_day() -> None:
    item = ActionItem("A1", "Book the lab", "sam", date(2026, 11, 10))
    assert not item.overdue(date(2026, 11, 10)) and item.overdue(date(2026, 11, 11))
    assert not ActionItem("A1", "x", "sam", date(2026, 11, 10), state="done").overdue(date(2027, 1, 1))


def test_a_conflict_drawn_from_a_finding_names_the_teams_of_its_cards() -> None:
    found = Finding(
        "dependency-broken-1", "dependency-broken", "error", ("F2@Atlas", "F3@Orion"), "F2 needs F3", "Move F3"
    )
    draft = from_finding(found, {"Atlas", "Orion", "Nova"})
    assert (draft.kind, draft.parties, draft.options, draft.items) == (
        "dependency",
        ("Atlas", "Orion"),
        ("Move F3",),
        ("F2@Atlas", "F3@Orion"),
    )
    overload = Finding("over-capacity-1", "over-capacity", "error", ("Nova", "I2"), "Nova is over", "Move points")
    assert (from_finding(overload, {"Nova"}).kind, from_finding(overload, {"Nova"}).parties) == ("capacity", ("Nova",))


def test_who_hears_about_what() -> None:
    mia = Interest("mia", teams=frozenset({"Atlas"}), roles_teams=frozenset({"Atlas"}))
    olga = Interest("olga", owned=frozenset({"R3"}), roles_teams=frozenset({"Orion"}), decisions=True)
    move = event("card", "F1@Atlas", {"iteration": 2})
    dependency = event("dependency", "F2@Orion->F3@Atlas", {"state": "broken"}, "broken")
    assert teams_of(dependency) == {"Orion", "Atlas"}
    assert why(mia, move) == "it concerns Atlas" and why(olga, move) is None
    assert why(olga, event("risk", "R3", {"roam": "owned"}, "roamed")) == "you own R3"
    assert why(olga, dependency) == "Orion depends on it"
    assert why(olga, event("decision", "D1", {"state": "decided"}, "decided")) == "you follow decisions"
    assert why(Interest("vic", mine=False), event("risk", "R3", {"team": "Atlas"})) is None


@given(st.integers(min_value=1, max_value=40))
def test_retries_back_off_and_never_wait_more_than_an_hour(attempts: int) -> None:
    wait = retry_after(attempts)
    assert timedelta(seconds=30) <= wait <= timedelta(hours=1)
    assert retry_after(attempts + 1) >= wait


def test_the_signature_verifies_only_with_the_secret_and_the_same_body() -> None:
    signature = sign("s3cret", b'{"a":1}')
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify("s3cret", b'{"a":1}', signature)
    assert not verify("s3cret", b'{"a":2}', signature) and not verify("other", b'{"a":1}', signature)


def test_each_kind_of_webhook_gets_its_own_shape() -> None:
    assert webhook_payload("slack", "S", "T", {}) == {"text": "*S*\nT"}
    assert webhook_payload("teams", "S", "T", {})["@type"] == "MessageCard"
    assert webhook_payload("generic", "S", "T", {"train": "ART"}) == {"subject": "S", "text": "T", "train": "ART"}


def test_the_cadence_puts_unscheduled_events_on_working_days() -> None:
    pi = PI("PI-1", date(2027, 1, 4), 2, 3, True, "planning")  # I1, I2, IP
    entries = train_calendar("ART", pi, [], holidays=[date(2027, 1, 15)])
    demos = {e.title: e.start for e in entries if e.kind == "system_demo"}
    assert demos == {
        "ART System demo — iteration 1": date(2027, 1, 14),
        "ART System demo — iteration 2": date(2027, 1, 29),
    }
    planning = next(e for e in entries if e.kind == "pi_planning")
    assert (planning.start, planning.end, planning.scheduled) == (date(2027, 2, 11), date(2027, 2, 12), False)
    syncs = [e.start for e in entries if e.kind == "art_sync"]
    assert syncs == [date(2027, 1, 6), date(2027, 1, 13), date(2027, 1, 20), date(2027, 1, 27)]
