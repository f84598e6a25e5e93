"""The worker's board cache: what the pages derive from a plan is made once per seq and never shown for another."""

from __future__ import annotations

from artsync.web.routes.trains import BoardCache


def test_what_pages_derive_is_made_once_per_seq_of_each_train() -> None:
    cache, made = BoardCache(), []

    def make(label: str) -> str:
        made.append(label)
        return label

    assert cache.derived("SHOP", 7, "findings", lambda: make("SHOP@7")) == "SHOP@7"
    assert cache.derived("SHOP", 7, "findings", lambda: make("again")) == "SHOP@7"
    assert cache.derived("SHOP", 8, "findings", lambda: make("SHOP@8")) == "SHOP@8"  # the train moved on
    assert cache.derived("FLEET", 7, "findings", lambda: make("FLEET@7")) == "FLEET@7"  # another train
    assert cache.derived("SHOP", 8, "backlog", lambda: make("backlog")) == "backlog"  # another derivation
    assert made == ["SHOP@7", "SHOP@8", "FLEET@7", "backlog"]


def test_only_the_newest_of_each_derivation_is_kept_and_the_oldest_go_past_the_caches_size() -> None:
    cache = BoardCache(size=1)
    for seq in range(10):  # a room editing: a new seq each time, and only the newest findings kept
        cache.derived("SHOP", seq, "findings", lambda seq=seq: seq)
    assert [kept[:2] for kept in cache.derivations.values()] == [(9, 9)]
    assert cache.derived("SHOP", 3, "findings", lambda: "as of 3") == "as of 3"  # a page behind: made for it
    assert cache.derived("SHOP", 9, "findings", lambda: "made again") == 9  # the newest is kept, not the older
    for n in range(5):
        cache.derived("SHOP", 9, ("forecast", n), lambda: "forecast")
    assert len(cache.derivations) == 4 and ("SHOP", "findings") not in cache.derivations  # the oldest went


def test_a_lagging_derivation_is_made_at_most_once_per_lag_and_says_how_long_until_it_is_made_anew() -> None:
    now = [100.0]
    cache, made = BoardCache(clock=lambda: now[0]), []

    def make(seq: int) -> int:
        made.append(seq)
        return seq

    assert cache.lagging("SHOP", 7, "findings", lambda: make(7), lag=2.0) == (7, 0.0)
    now[0] = 100.5
    assert cache.lagging("SHOP", 8, "findings", lambda: make(8), lag=2.0) == (7, 1.5)  # the room moved on: 7 still
    assert cache.derived("SHOP", 8, "findings", lambda: make(8)) == 8  # no lag asked: made for 8
    now[0] = 101.0
    assert cache.lagging("SHOP", 9, "findings", lambda: make(9), lag=2.0) == (8, 1.5)
    assert cache.lagging("SHOP", 8, "findings", lambda: make(8), lag=2.0) == (8, 0.0)  # as of its own seq
    now[0] = 102.6
    assert cache.lagging("SHOP", 9, "findings", lambda: make(9), lag=2.0) == (9, 0.0)  # the lag passed: made anew
    assert cache.lagging("SHOP", 6, "findings", lambda: make(6), lag=2.0) == (6, 0.0)  # never newer than asked
    assert made == [7, 8, 9, 6]
