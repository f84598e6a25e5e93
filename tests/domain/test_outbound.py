"""Where a webhook may point: https, and never inside the server's own network."""

from __future__ import annotations

import pytest

from artsync.domain.outbound import STRICT, OutboundPolicy, refusal

PUBLIC = ["3.3.3.3"]


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("https://127.0.0.1/hook", None),
        ("https://2130706433/hook", None),  # 127.0.0.1 as one number
        ("https://0x7f.1/hook", None),  # and in hex, shortened
        ("https://[::1]/hook", None),
        ("https://[::ffff:127.0.0.1]/hook", None),  # IPv4 inside IPv6
        ("https://169.254.169.254/latest/meta-data/", None),  # the cloud metadata service
        ("https://10.1.2.3/hook", None),
        ("https://192.168.0.10/hook", None),
        ("https://100.64.0.1/hook", None),  # shared address space
        ("https://0.0.0.0/hook", None),
        ("https://localhost:8000/hook", None),
        ("https://db.internal/hook", None),
        ("https://hooks.example.org/hook", ["10.0.0.7"]),  # a public name that resolves inward
        ("https://hooks.example.org/hook", ["3.3.3.3", "127.0.0.1"]),  # one bad address is enough
    ],
)
def test_internal_targets_are_refused(url: str, addresses: list[str] | None) -> None:
    reason = refusal(url, addresses, STRICT)
    assert reason is not None and "inside the server's own network" in reason


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://hooks.example.org/hook", "plain http"),
        ("ftp://hooks.example.org/hook", "not an http(s) URL"),
        ("https://user:pw@hooks.example.org/hook", "user name or password"),
        ("https://hooks.example.org:99999/hook", "port"),
        ("https://hooks.example.org/a b", "spaces"),
    ],
)
def test_malformed_or_plain_urls_are_refused_with_the_reason(url: str, words: str) -> None:
    reason = refusal(url, PUBLIC, STRICT)
    assert reason is not None and words in reason


def test_a_public_https_target_passes() -> None:
    assert refusal("https://hooks.slack.com/services/T0/B0/x", PUBLIC, STRICT) is None


def test_a_name_that_does_not_resolve_passes_when_added_but_not_when_sent() -> None:
    assert refusal("https://hooks.example.org/hook", None, STRICT) is None  # judged again at each send
    assert "does not resolve" in (refusal("https://hooks.example.org/hook", [], STRICT) or "")


def test_the_operator_may_allow_an_internal_host_and_plain_http() -> None:
    policy = OutboundPolicy(allow_http=True, allowed_hosts=frozenset({"127.0.0.1", "hooks.corp.example"}))
    assert refusal("http://127.0.0.1:9000/hook", None, policy) is None
    assert refusal("https://hooks.corp.example/hook", ["10.0.0.7"], policy) is None
    assert refusal("http://127.0.0.2/hook", None, policy) is not None  # only the hosts listed
