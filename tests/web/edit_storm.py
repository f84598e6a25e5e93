"""An edit storm against a running server: many simultaneous moves of a few cards, stale and fresh.

Each edit moves one of the cards with the version its client last saw as If-Match; on 412 a
client takes the version from the refusal and tries again, as the board does. Every fifth
edit is sent deliberately stale (the version before the one seen) and must be refused. Then
``lost_updates`` checks the log and the cards against every answer: each accepted edit is one
event, each card's versions form one unbroken chain, and the seqs have no gap. Used by
tests/web/test_concurrency.py and bench/concurrency.py.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx


@dataclass
class Storm:
    """What happened: each answer, and how long each request took."""

    start_seq: int
    initial: dict[int, int]  # card id → version before the storm
    accepted: dict[int, list[int]] = field(default_factory=dict)  # card id → versions it was moved to
    refused_stale: int = 0  # deliberately stale edits refused, as they must be
    refused_fresh: int = 0  # edits that lost a race and were refused (then retried)
    unchanged: int = 0  # edits that asked for the iteration the card was in already
    stale_accepted: int = 0  # deliberately stale edits accepted: a lost update
    other: list[str] = field(default_factory=list)  # any other answer
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def accepted_count(self) -> int:
        return sum(len(v) for v in self.accepted.values())


async def storm(base: str, token: str, *, edits: int, cards: int, at_once: int, retries: int = 3) -> Storm:
    """Send ``edits`` moves over ``cards`` planned cards, ``at_once`` in flight at any moment.

    A fresh edit refused as stale is tried again with the version it was shown, ``retries`` times.
    """
    headers = {"Authorization": f"Bearer {token}"}
    # Idle connections are dropped before the server's keep-alive (5 s) would close them under a request.
    limits = httpx.Limits(max_connections=at_once, max_keepalive_connections=at_once, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120, limits=limits) as client:
        board = (await client.get("/api/v1/trains/SHOP/board")).json()
        chosen = [c for c in board["cards"] if c["iteration"] is not None][:cards]
        seen = {c["id"]: c["version"] for c in chosen}
        result = Storm(board["seq"], dict(seen), {c["id"]: [] for c in chosen})
        gate = asyncio.Semaphore(at_once)

        async def edit(n: int) -> None:
            card = chosen[n % len(chosen)]
            stale = n % 5 == 0
            target = 1 + (n // len(chosen)) % 4
            for _ in range(retries + 1):
                version = seen[card["id"]] - 1 if stale else seen[card["id"]]
                async with gate:
                    began = time.perf_counter()
                    answer = await client.patch(
                        f"/api/v1/cards/{card['id']}", json={"iteration": target}, headers={"If-Match": f'"{version}"'}
                    )
                    result.latencies.append(time.perf_counter() - began)
                if answer.status_code == 200 and answer.json()["seq"] is None:
                    result.unchanged += 1  # the card was already there: nothing to change, nothing logged
                    return
                if answer.status_code == 200:
                    moved = answer.json()["version"]
                    if stale:
                        result.stale_accepted += 1
                    result.accepted[card["id"]].append(moved)
                    seen[card["id"]] = max(seen[card["id"]], moved)
                    return
                if answer.status_code != 412:
                    result.other.append(f"{answer.status_code} {answer.text[:120]}")
                    return
                current = answer.json()["current"]["version"]
                seen[card["id"]] = max(seen[card["id"]], current)
                if stale:
                    result.refused_stale += 1
                    return
                result.refused_fresh += 1

        began = time.perf_counter()
        await asyncio.gather(*(edit(n) for n in range(edits)))
        result.seconds = time.perf_counter() - began
    return result


def lost_updates(result: Storm, events: list[dict], cards_now: dict[int, dict]) -> list[str]:
    """Every way the log and the cards disagree with the answers given; empty when nothing was lost."""
    problems = list(result.other)
    if result.stale_accepted:
        problems.append(f"{result.stale_accepted} edits with a stale If-Match were accepted")
    seqs = [e["seq"] for e in events]
    if seqs != list(range(result.start_seq + 1, result.start_seq + 1 + len(seqs))):
        problems.append("the seqs after the storm have a gap or are out of order")
    if len(events) != result.accepted_count:
        problems.append(f"{result.accepted_count} edits were accepted but the log has {len(events)} events")
    for card_id, versions in result.accepted.items():
        card = cards_now[card_id]
        chain = list(range(result.initial[card_id] + 1, result.initial[card_id] + 1 + len(versions)))
        if sorted(versions) != chain:
            problems.append(f"card {card['ref']}: accepted versions {sorted(versions)} are not one chain {chain}")
        if card["version"] != result.initial[card_id] + len(versions):
            problems.append(f"card {card['ref']} is at version {card['version']} after {len(versions)} accepted edits")
        mine = [e for e in events if e["entity_id"] == card["ref"]]
        steps = [(e["before"]["version"], e["after"]["version"]) for e in mine]
        if any(after != before + 1 for before, after in steps) or [a for _, a in steps] != chain:
            problems.append(f"card {card['ref']}: the log's versions {steps} are not one chain")
        if mine and mine[-1]["after"]["iteration"] != card["iteration"]:
            problems.append(f"card {card['ref']} is in {card['iteration']}, the log's last move says otherwise")
    return problems


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0
