"""Hypothesis strategies for random but valid plans."""

from __future__ import annotations

from hypothesis import strategies as st

from artsync.domain.plan import Milestone, Objective, Plan, Risk
from artsync.domain.wsjf import SCALE
from tests.builders import make_plan

TEAMS = ("Atlas", "Orion", "Nova")


@st.composite
def plans(draw: st.DrawFn, max_features: int = 8) -> Plan:
    teams = {t: draw(st.integers(0, 30)) for t in TEAMS[: draw(st.integers(1, len(TEAMS)))]}
    iterations = draw(st.integers(1, 6))
    feature_keys = [f"F{i}" for i in range(draw(st.integers(1, max_features)))]
    cards = []
    for feature in feature_keys:
        for team in draw(st.lists(st.sampled_from(sorted(teams)), min_size=1, max_size=len(teams), unique=True)):
            cards.append((feature, team, draw(st.none() | st.integers(1, iterations)), draw(st.integers(0, 25))))
    refs = [f"{f}@{t}" for f, t, _, _ in cards]
    deps = draw(
        st.lists(
            st.tuples(st.sampled_from(refs), st.sampled_from(refs)).filter(lambda d: d[0] != d[1]),
            max_size=8,
            unique=True,
        )
    )
    scale = st.sampled_from(SCALE)
    wsjf = {f: (draw(scale), draw(scale), draw(scale), draw(scale)) for f in feature_keys}
    milestones = [
        Milestone(
            f"M{i}",
            f"Milestone {i}",
            draw(st.integers(1, iterations)),
            None,
            tuple(sorted(draw(st.sets(st.sampled_from(feature_keys), max_size=3)))),
        )
        for i in range(draw(st.integers(0, 2)))
    ]
    objectives = [
        Objective(
            f"O{i}",
            draw(st.none() | st.sampled_from(sorted(teams))),
            f"Objective {i}",
            draw(st.booleans()),
            draw(st.none() | st.integers(1, 10)),
            draw(st.none() | st.integers(0, 10)),
            tuple(sorted(draw(st.sets(st.sampled_from(feature_keys), max_size=3)))),
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    risks = [
        Risk(f"R{i}", f"Risk {i}", draw(st.sampled_from(("unroamed", "owned", "accepted"))), "Alice", None)
        for i in range(draw(st.integers(0, 3)))
    ]
    return make_plan(
        teams=teams,
        cards=cards,
        wsjf=wsjf,
        deps=deps,
        milestones=milestones,
        objectives=objectives,
        risks=risks,
        iterations=iterations,
        ip_last=draw(st.booleans()),
    )
