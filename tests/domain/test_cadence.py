from __future__ import annotations

from datetime import date

from artsync.domain.cadence import PI


def test_pi_has_two_week_iterations_and_the_last_is_the_ip_iteration() -> None:
    pi = PI("PI-1", date(2027, 1, 4), iteration_weeks=2, iteration_count=5)
    iterations = pi.iterations
    assert [it.label for it in iterations] == ["I1", "I2", "I3", "I4", "IP"]
    assert iterations[0].start == date(2027, 1, 4) and iterations[0].end == date(2027, 1, 17)
    assert iterations[4].start == date(2027, 3, 1) and iterations[4].end == date(2027, 3, 14)
    assert pi.end == date(2027, 3, 14)
    assert pi.ip_iteration == 5


def test_pi_without_ip_iteration_has_only_development_iterations() -> None:
    pi = PI("PI-1", date(2027, 1, 4), iteration_count=4, ip_last=False)
    assert not any(it.is_ip for it in pi.iterations)
    assert pi.ip_iteration is None


def test_a_date_maps_to_the_iteration_that_contains_it() -> None:
    pi = PI("PI-1", date(2027, 1, 4), iteration_weeks=2, iteration_count=5)
    assert pi.iteration_of(date(2027, 1, 4)) == 1
    assert pi.iteration_of(date(2027, 1, 17)) == 1
    assert pi.iteration_of(date(2027, 1, 18)) == 2
    assert pi.iteration_of(date(2027, 3, 14)) == 5
    assert pi.iteration_of(date(2027, 3, 15)) is None
    assert pi.iteration_of(date(2027, 1, 3)) is None
