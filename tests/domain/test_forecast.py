"""The Monte Carlo forecast with plain values: slack and impossibility, dependency chains, seeds, capacity."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from artsync.domain.cadence import PI
from artsync.domain.forecast import DONE, Throughput, forecast, forecast_findings
from artsync.domain.plan import Card, Dependency, Feature, Milestone, Plan, Team, Train
from artsync.domain.wsjf import WsjfInputs

PI_1 = PI("PI-1", date(2027, 1, 4), 2, 5, True, "executing")


def feature(key: str, score: int = 3) -> Feature:
    return Feature(key, key, "business", WsjfInputs(score, score, score, 1))


def plan(cards: list[Card], milestones: list[Milestone], deps: list[Dependency] = (), velocity: int = 10) -> Plan:
    teams = sorted({c.team for c in cards})
    return Plan(
        train=Train("ART", "ART"),
        pi=PI_1,
        teams=tuple(Team(t, t, velocity) for t in teams),
        features=tuple(feature(k) for k in sorted({c.feature for c in cards})),
        cards=tuple(cards),
        dependencies=tuple(deps),
        milestones=tuple(milestones),
    )


def steady(p: Plan, history: tuple[int, ...] = (8, 10, 12)) -> dict[str, Throughput]:
    return {t.key: Throughput(t.key, history, t.velocity) for t in p.teams}


def test_a_milestone_with_ample_slack_is_near_certain_and_an_impossible_one_near_hopeless() -> None:
    p = plan(
        [Card("EASY", "Atlas", 1, 5), Card("HUGE", "Orion", 1, 200)],
        [Milestone("M1", "Easy", 4, features=("EASY",)), Milestone("M2", "Huge", 2, features=("HUGE",))],
    )
    f = forecast(p, steady(p), now=1, seed=3)
    assert f.milestones["M1"].probability >= 0.95
    assert f.milestones["M2"].probability <= 0.05
    assert f.milestones["M2"].p85 > PI_1.iteration_count  # 85% likely only after the PI
    found = forecast_findings(p, f)
    assert [x.items[0] for x in found] == ["M2"] and "0% likely to be met" in found[0].message


def test_a_dependency_chain_pushes_the_consumer_later() -> None:
    cards = [Card("LATE", "Orion", 3, 25), Card("NEEDS", "Atlas", 1, 2)]
    alone = plan(cards, [Milestone("M1", "Needs", 2, features=("NEEDS",))])
    chained = plan(cards, [Milestone("M1", "Needs", 2, features=("NEEDS",))],
                   [Dependency("NEEDS@Atlas", "LATE@Orion")])  # fmt: skip
    free = forecast(alone, steady(alone), now=1, seed=5)
    held = forecast(chained, steady(chained), now=1, seed=5)
    assert free.cards["NEEDS@Atlas"].p85 == 1
    assert held.cards["NEEDS@Atlas"].p50 >= held.cards["LATE@Orion"].p50 >= 3
    assert held.milestones["M1"].probability < free.milestones["M1"].probability


def test_the_same_seed_gives_the_same_forecast_and_done_work_is_done() -> None:
    p = plan(
        [Card("A", "Atlas", 1, 8), Card("B", "Atlas", 2, 13), Card("C", "Atlas", 1, 3, status="done")],
        [Milestone("M1", "B", 2, features=("B",))],
    )
    one, two = forecast(p, steady(p), now=2, seed=11), forecast(p, steady(p), now=2, seed=11)
    assert one == two
    assert one.cards["C@Atlas"].p85 == DONE and one.cards["A@Atlas"].p50 >= 2


def test_without_history_the_velocity_is_used() -> None:
    p = plan([Card("A", "Atlas", 1, 25)], [Milestone("M1", "A", 3, features=("A",))], velocity=10)
    f = forecast(p, {"Atlas": Throughput("Atlas", (), 10)}, now=1, seed=1)
    assert (f.cards["A@Atlas"].p50, f.cards["A@Atlas"].p85) == (3, 3)  # 25 points at about 10 an iteration


@settings(max_examples=25, deadline=None)
@given(
    points=st.lists(st.integers(min_value=1, max_value=30), min_size=2, max_size=6),
    deadline=st.integers(min_value=1, max_value=5),
    extra=st.integers(min_value=1, max_value=15),
    history=st.booleans(),
)
def test_more_capacity_never_lowers_a_probability(points, deadline, extra, history) -> None:
    cards = [Card(f"F{n}", "Atlas" if n % 2 else "Orion", 1 + n % 4, pts) for n, pts in enumerate(points)]
    milestones = [Milestone(f"M{n}", "m", deadline, features=(c.feature,)) for n, c in enumerate(cards)]
    deps = [Dependency(cards[1].ref, cards[0].ref)] if cards[0].team != cards[1].team else []
    p = plan(cards, milestones, deps, velocity=8)
    more = plan(cards, milestones, deps, velocity=8 + extra)
    base = {t.key: Throughput(t.key, (6, 9, 7) if history else (), t.velocity) for t in p.teams}
    richer = {t.key: Throughput(t.key, (6 + extra, 9 + extra, 7 + extra) if history else (), t.velocity)
              for t in more.teams}  # fmt: skip
    low, high = forecast(p, base, now=1, seed=7, trials=500), forecast(more, richer, now=1, seed=7, trials=500)
    for key, outlook in low.milestones.items():
        assert high.milestones[key].probability >= outlook.probability


def test_the_milestones_alone_come_out_as_in_the_whole_forecast() -> None:
    from artsync.formats.demo import demo_plan

    p = demo_plan("art")
    history = {t.key: Throughput(t.key, (t.velocity - 4, t.velocity + 3, t.velocity), t.velocity) for t in p.teams}
    whole = forecast(p, history, now=1, seed=9, trials=2000)
    alone = forecast(p, history, now=1, seed=9, trials=2000, milestones_only=True)
    assert alone.milestones == whole.milestones and not alone.cards and not alone.objectives


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(st.integers(1, 13), min_size=2, max_size=12),
    links=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=14),  # cycles and chains included
    waited=st.sets(st.integers(0, 11), min_size=1, max_size=3),
    done=st.sets(st.integers(0, 11), max_size=3),
)
def test_the_milestones_alone_come_out_as_in_the_whole_forecast_whatever_the_dependencies(
    points, links, waited, done
) -> None:
    """Only the milestones' cards, their providers and theirs are settled and only the milestones' features finished:
    a chain through cards no milestone names, or a cycle, still reaches the milestone as in the whole forecast."""
    teams = ("Atlas", "Orion", "Vega")
    cards = [
        Card(f"F{n}", teams[n % 3], 1 + n % 5 if n % 4 else None, pts, "done" if n in done else "not started")
        for n, pts in enumerate(points)
    ]
    refs = [c.ref for c in cards]
    deps = sorted(
        {Dependency(refs[a % len(refs)], refs[b % len(refs)]) for a, b in links if a % len(refs) != b % len(refs)},
        key=lambda d: (d.consumer, d.provider),
    )
    milestones = [Milestone(f"M{n}", "m", 2 + n % 4, features=(f"F{n % len(cards)}",)) for n in sorted(waited)]
    p = plan(cards, milestones, deps, velocity=9)
    whole = forecast(p, steady(p), now=1, seed=4, trials=300)
    alone = forecast(p, steady(p), now=1, seed=4, trials=300, milestones_only=True)
    assert alone.milestones == whole.milestones
