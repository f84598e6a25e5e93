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


def test_the_cache_forgets_the_oldest_derivations_past_its_size() -> None:
    cache = BoardCache(size=1)
    for seq in range(10):
        cache.derived("SHOP", seq, "findings", lambda seq=seq: seq)
    assert len(cache.derivations) == 4
    assert cache.derived("SHOP", 0, "findings", lambda: "made again") == "made again"
