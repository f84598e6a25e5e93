"""PI set-up and capacity planning, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from artsync.errors import ConflictError, ForbiddenError, InvalidInputError
from artsync.formats.plan_format import parse_plan
from artsync.services.capacity import (
    add_holiday,
    add_leave,
    adjust_capacity,
    get_capacity,
    remove_holiday,
    remove_leave,
    set_team,
)
from artsync.services.events import list_events
from artsync.services.pis import advance_pi, create_pi, list_pis
from artsync.services.plans import import_plan
from artsync.services.trains import get_plan
from tests.formats.test_plan_format import minimal
from tests.personas import ADMIN, personas

PEOPLE = personas("ART", "Atlas", "Orion")


@pytest.fixture
def train(db) -> str:
    doc = minimal()
    doc["teams"] = [{"key": "Atlas", "name": "Team Atlas", "velocity": 40, "size": 5, "capacity": {"3": 20}}]
    import_plan(db, actor=ADMIN, plan=parse_plan(doc))  # PI-1 starts Monday 2027-01-04, planning
    return "ART"


def cells(db, pi=None) -> list[int]:
    return [c.points for c in get_capacity(db, actor=ADMIN, train_key="ART", pi_key=pi).teams[0].iterations]


def test_a_new_pi_is_set_up_in_draft_and_the_current_pi_stays_current(db, train) -> None:
    created = create_pi(db, actor=PEOPLE["rte"], train_key=train, key="PI-2", start=date(2027, 3, 15),
                        iteration_weeks=2, iterations=6, ip_last=True)  # fmt: skip
    assert (created.value.state, created.value.iteration_count, created.value.end) == ("draft", 6, date(2027, 6, 6))
    assert [(p.pi.key, p.current) for p in list_pis(db, actor=ADMIN, train_key=train)] == [
        ("PI-1", True),
        ("PI-2", False),
    ]
    assert get_plan(db, actor=ADMIN, train_key=train).pi.key == "PI-1"
    event = list_events(db, actor=ADMIN, train_key=train)[-1]
    assert (event.entity, event.action, event.entity_id, event.after["state"]) == ("pi", "created", "PI-2", "draft")
    # Once the RTE opens its planning, the new PI is the one the board shows.
    advance_pi(db, actor=ADMIN, train_key=train, pi_key="PI-2")
    assert get_plan(db, actor=ADMIN, train_key=train).pi.key == "PI-2"


def test_a_pi_that_overlaps_another_is_refused(db, train) -> None:
    with pytest.raises(InvalidInputError, match="overlaps PI-1"):
        create_pi(db, actor=ADMIN, train_key=train, key="PI-2", start=date(2027, 2, 1))
    with pytest.raises(ConflictError, match="already has a PI PI-1"):
        create_pi(db, actor=ADMIN, train_key=train, key="PI-1", start=date(2028, 1, 3))
    assert [p.pi.key for p in list_pis(db, actor=ADMIN, train_key=train)] == ["PI-1"]


@pytest.mark.parametrize("persona", ["product_manager", "product_owner", "business_owner"])
def test_only_the_rte_sets_up_a_pi_and_the_holidays(db, train, persona) -> None:
    with pytest.raises(ForbiddenError):
        create_pi(db, actor=PEOPLE[persona], train_key=train, key="PI-2", start=date(2027, 3, 15))
    with pytest.raises(ForbiddenError):
        add_holiday(db, actor=PEOPLE[persona], train_key=train, day=date(2027, 1, 18), name="MLK Day")


def test_a_holiday_lowers_every_teams_capacity_on_the_board(db, train) -> None:
    before = get_plan(db, actor=ADMIN, train_key=train).teams[0]
    assert before.capacity(2) == 40
    add_holiday(db, actor=PEOPLE["rte"], train_key=train, day=date(2027, 1, 18), name="MLK Day")
    assert get_plan(db, actor=ADMIN, train_key=train).teams[0].capacity(2) == 36
    assert cells(db) == [40, 36, 20, 40, 40]  # iteration 3 keeps the imported adjustment (20)
    remove_holiday(db, actor=PEOPLE["rte"], train_key=train, day=date(2027, 1, 18))
    assert cells(db) == [40, 40, 20, 40, 40]
    actions = [e.action for e in list_events(db, actor=ADMIN, train_key=train)[-2:]]
    assert actions == ["holiday-added", "holiday-removed"]


def test_leave_lowers_the_teams_capacity_and_a_po_of_the_team_records_it(db, train) -> None:
    add_leave(db, actor=PEOPLE["product_owner"], train_key=train, team="Atlas", person="ana",
              first=date(2027, 2, 1), last=date(2027, 2, 5))  # fmt: skip
    # 5 people × 10 days; ana away 5 days of iteration 3 → but iteration 3 holds the team's own 20.
    assert cells(db) == [40, 40, 20, 40, 40]
    adjust_capacity(db, actor=PEOPLE["product_owner"], train_key=train, team="Atlas", iteration=3, points=None)
    assert cells(db) == [40, 40, 36, 40, 40]
    remove_leave(db, actor=PEOPLE["product_owner"], train_key=train, team="Atlas", person="ana", first=date(2027, 2, 1))
    assert cells(db) == [40, 40, 40, 40, 40]


def test_another_teams_po_cannot_record_leave_for_this_team(db, train) -> None:
    with pytest.raises(ForbiddenError):
        add_leave(db, actor=PEOPLE["other_member"], train_key=train, team="Atlas", person="ana",
                  first=date(2027, 2, 1), last=date(2027, 2, 5))  # fmt: skip


def test_leave_needs_the_team_size_and_says_how_to_set_it(db) -> None:
    import_plan(db, actor=ADMIN, plan=parse_plan(minimal()))  # Atlas has no size
    with pytest.raises(InvalidInputError, match=r"give the team its size first \(how many people are in Atlas\)"):
        add_leave(db, actor=ADMIN, train_key="ART", team="Atlas", person="ana", first=date(2027, 2, 1),
                  last=date(2027, 2, 5))  # fmt: skip
    set_team(db, actor=ADMIN, train_key="ART", team="Atlas", size=4)
    add_leave(db, actor=ADMIN, train_key="ART", team="Atlas", person="ana", first=date(2027, 1, 4),
              last=date(2027, 1, 8))  # fmt: skip
    assert get_capacity(db, actor=ADMIN, train_key="ART").teams[0].iterations[0].points == 26  # 30 × 35/40


def test_the_teams_own_figure_survives_a_calendar_change(db, train) -> None:
    adjust_capacity(db, actor=ADMIN, train_key=train, team="Atlas", iteration=2, points=25)
    add_holiday(db, actor=ADMIN, train_key=train, day=date(2027, 1, 18), name="MLK Day")
    team = get_capacity(db, actor=ADMIN, train_key=train).teams[0]
    assert (team.iterations[1].calculated, team.iterations[1].points) == (36, 25)


def test_a_velocity_change_moves_the_calculated_capacities(db, train) -> None:
    add_holiday(db, actor=ADMIN, train_key=train, day=date(2027, 1, 18), name="MLK Day")
    set_team(db, actor=PEOPLE["scrum_master"], train_key=train, team="Atlas", velocity=20)
    assert cells(db) == [20, 18, 20, 20, 20]


def test_the_draft_pi_gets_capacities_from_the_calendars_too(db, train) -> None:
    add_holiday(db, actor=ADMIN, train_key=train, day=date(2027, 3, 16), name="Founders' Day")
    create_pi(db, actor=ADMIN, train_key=train, key="PI-2", start=date(2027, 3, 15))
    assert cells(db, "PI-2") == [36, 40, 40, 40, 40]


def test_a_capacity_outside_the_pi_is_refused(db, train) -> None:
    with pytest.raises(InvalidInputError, match="iteration 9 is out of range"):
        adjust_capacity(db, actor=ADMIN, train_key=train, team="Atlas", iteration=9, points=10)


def test_leave_that_ends_before_it_starts_is_refused(db, train) -> None:
    with pytest.raises(InvalidInputError, match="ends"):
        add_leave(db, actor=ADMIN, train_key=train, team="Atlas", person="ana", first=date(2027, 2, 5),
                  last=date(2027, 2, 1))  # fmt: skip
