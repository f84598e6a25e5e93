"""Capacity = velocity × availability, from the train's holidays and people's leave."""

from __future__ import annotations

from datetime import date

from artsync.domain.cadence import PI
from artsync.domain.capacity import Holiday, Leave, team_capacities

# Monday 4 January 2027; two-week iterations: I1 = 4–15 Jan, I2 = 18–29 Jan, …
PI_1 = PI("PI-1", date(2027, 1, 4), 2, 5, True)


def capacities(velocity=40, size=None, holidays=(), leave=(), adjusted=None):
    return team_capacities(PI_1, team="Atlas", velocity=velocity, size=size, holidays=holidays, leave=leave,
                           adjusted=adjusted)  # fmt: skip


def test_with_no_calendar_entries_capacity_is_the_velocity() -> None:
    assert [c.points for c in capacities()] == [40, 40, 40, 40, 40]
    assert all(c.weekdays == 10 and c.availability == 1.0 for c in capacities())


def test_a_holiday_takes_a_tenth_of_a_two_week_iteration_from_everyone() -> None:
    result = capacities(holidays=[Holiday(date(2027, 1, 18), "Martin Luther King Jr. Day")])
    assert result[1].holidays == 1 and result[1].availability == 0.9 and result[1].points == 36
    assert [c.points for c in result] == [40, 36, 40, 40, 40]


def test_a_holiday_on_a_weekend_changes_nothing() -> None:
    assert capacities(holidays=[Holiday(date(2027, 1, 9), "Saturday")])[0].points == 40


def test_leave_takes_the_persons_working_days_from_the_teams_person_days() -> None:
    # 5 people × 10 days = 50 person-days; one person away Mon–Fri of week 1 (5 days) → 45/50.
    result = capacities(size=5, leave=[Leave("Atlas", "ana", date(2027, 1, 4), date(2027, 1, 10))])
    assert result[0].leave_days == 5 and result[0].availability == 0.9 and result[0].points == 36


def test_leave_on_a_holiday_is_not_counted_twice() -> None:
    result = capacities(
        size=5,
        holidays=[Holiday(date(2027, 1, 4), "Team day off")],
        leave=[Leave("Atlas", "ana", date(2027, 1, 4), date(2027, 1, 5))],
    )
    # 5 × 9 open days = 45, minus ana's one remaining day = 44 of 50.
    assert (result[0].holidays, result[0].leave_days, result[0].availability) == (1, 1, 0.88)


def test_overlapping_leave_of_one_person_counts_each_day_once() -> None:
    leave = [
        Leave("Atlas", "ana", date(2027, 1, 4), date(2027, 1, 6)),
        Leave("Atlas", "ana", date(2027, 1, 5), date(2027, 1, 7)),
    ]
    assert capacities(size=5, leave=leave)[0].leave_days == 4


def test_leave_across_an_iteration_boundary_is_split_between_the_two() -> None:
    result = capacities(size=4, leave=[Leave("Atlas", "bo", date(2027, 1, 13), date(2027, 1, 19))])
    assert (result[0].leave_days, result[1].leave_days) == (3, 2)


def test_another_teams_leave_does_not_count() -> None:
    assert capacities(size=5, leave=[Leave("Orion", "ana", date(2027, 1, 4), date(2027, 1, 8))])[0].points == 40


def test_without_a_size_leave_is_ignored_but_holidays_count() -> None:
    result = capacities(
        holidays=[Holiday(date(2027, 1, 5), "x")], leave=[Leave("Atlas", "ana", date(2027, 1, 4), date(2027, 1, 8))]
    )
    assert (result[0].leave_days, result[0].points) == (0, 36)


def test_the_teams_own_figure_wins_over_the_calculation() -> None:
    result = capacities(holidays=[Holiday(date(2027, 1, 18), "x")], adjusted={2: 30})
    assert (result[1].calculated, result[1].adjusted, result[1].points) == (36, 30, 30)


def test_capacity_rounds_half_up() -> None:
    # velocity 15 × 0.9 = 13.5 → 14
    assert capacities(velocity=15, holidays=[Holiday(date(2027, 1, 18), "x")])[1].points == 14
