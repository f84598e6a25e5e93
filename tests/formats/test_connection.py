"""Connection files: read whole, or refused naming the line or the field that is wrong."""

from __future__ import annotations

import pytest

from artsync.errors import InvalidInputError
from artsync.formats.connection import TrackerKind, parse_connection

JIRA = """
[tracker]
kind = "jira"
url = "https://example.atlassian.net"
user = "rte@example.com"
token_env = "JIRA_TOKEN"
project = "PAY"
[train]
key = "PAY"
[[team]]
name = "Atlas"
board = 12
"""


def test_a_jira_connection_is_read_with_its_defaults() -> None:
    settings = parse_connection(JIRA)
    assert settings.tracker.kind is TrackerKind.JIRA and settings.tracker.feature_type == "Feature"
    assert settings.team[0].board == 12 and settings.rules.rules().iteration_in_planning == "artsync"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (JIRA.replace('project = "PAY"', 'project = "PAY'), "not TOML"),
        (JIRA.replace("board = 12", 'area_path = "PAY\\\\Atlas"'), "team[0] (Atlas): give its board"),
        (JIRA.replace('token_env = "JIRA_TOKEN"', 'token = "abc"'), "tracker.token"),
        (JIRA.replace('kind = "jira"', 'kind = "trello"'), "tracker.kind"),
        (JIRA + '[[team]]\nname = "Atlas"\nboard = 13\n', "Atlas named twice"),
    ],
    ids=["toml", "team-without-board", "a-token-in-the-file", "unknown-kind", "team-twice"],
)
def test_a_wrong_connection_file_is_refused_saying_where(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_connection(text, "pay.toml")
    assert refused.value.message.startswith("pay.toml: ") and message in refused.value.message


def test_the_token_comes_from_the_environment_and_its_absence_is_said() -> None:
    settings = parse_connection(JIRA)
    assert settings.token({"JIRA_TOKEN": "t0k"}) == "t0k"
    with pytest.raises(InvalidInputError, match=r"\$JIRA_TOKEN, which is not set"):
        settings.token({})
