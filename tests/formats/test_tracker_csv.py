"""The CSV files people can export from their tracker without admin rights, read as tracker items."""

from __future__ import annotations

import pytest

from artsync.domain.tracker import Progress
from artsync.errors import InvalidInputError
from artsync.formats.connection import parse_connection
from artsync.formats.tracker_csv import parse_iteration_map, read_tracker_csv

JIRA = parse_connection(
    '[tracker]\nkind = "jira"\nurl = "https://example.atlassian.net"\nuser = "rte@example.com"\n'
    'token_env = "T"\nproject = "PAY"\n[train]\nkey = "PAY"\n'
    '[[team]]\nname = "Atlas"\nboard = 1\n[[team]]\nname = "Orion"\nboard = 2\n'
)
ADO = parse_connection(
    '[tracker]\nkind = "azure-devops"\nurl = "https://dev.azure.com/acme"\ntoken_env = "T"\nproject = "PAY"\n'
    '[train]\nkey = "PAY"\n[[team]]\nname = "Atlas"\narea_path = "PAY\\\\Atlas"\n'
)
# As Jira Cloud exports it: repeated columns for each sprint, label and link an issue has.
JIRA_CSV = """Summary,Issue key,Issue id,Issue Type,Status,Status Category,Parent,Sprint,Sprint,Labels,\
Custom field (Story point estimate),Custom field (Team),Inward issue link (Blocks)
Checkout in one step,PAY-1,10001,Feature,In Progress,In Progress,,,,enabler,,,
Card form,PAY-11,10011,Story,Done,Done,10001,Atlas Sprint 1,Atlas Sprint 2,,5,Atlas,PAY-12
Card API,PAY-12,10012,Story,To Do,To Do,10001,Orion Sprint 1,,,3,orion,
"""
ADO_CSV = """ID,Work Item Type,Title,State,Area Path,Iteration Path,Story Points,Parent,Tags
7,Feature,Checkout in one step,Active,PAY,PAY,,,
71,User Story,Card form,Closed,PAY\\Atlas,PAY\\Sprint 2,5,7,
72,User Story,Card API,Removed,PAY\\Atlas,PAY\\Sprint 2,3,7,
"""


def test_jiras_export_gives_features_stories_their_last_sprint_team_points_and_links() -> None:
    found = read_tracker_csv(JIRA_CSV, JIRA)
    feature, form, api = found.items
    assert feature.is_feature and feature.kind == "enabler" and feature.progress is Progress.IN_PROGRESS
    assert (form.parent, form.team, form.sprint, form.points, form.progress) == (
        "PAY-1",
        "Atlas",
        "Atlas Sprint 2",
        5,
        Progress.DONE,
    )
    assert form.blocked_by == ("PAY-12",) and api.team == "Orion"  # team names matched whatever their case
    assert found.sprints == {"Atlas Sprint 2", "Orion Sprint 1"} and found.kind == "jira"


def test_an_azure_devops_query_gives_work_items_by_area_path_and_leaves_removed_ones_out() -> None:
    found = read_tracker_csv(ADO_CSV, ADO)
    assert [i.key for i in found.items] == ["PAY-7", "PAY-71"]
    story = found.items[1]
    assert (story.parent, story.team, story.sprint, story.progress) == (
        "PAY-7",
        "Atlas",
        "PAY\\Sprint 2",
        Progress.DONE,
    )
    assert found.items[0].sprint is None  # the project's root iteration: the backlog


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Name,Value\nx,1\n", "line 1: neither Jira's export"),
        (JIRA_CSV.replace(",PAY-12,10012,", ",,10012,"), "line 4, column 'Issue key': empty"),
        (
            ADO_CSV.replace(
                "Card form,Closed,PAY\\Atlas,PAY\\Sprint 2,5", "Card form,Closed,PAY\\Atlas,PAY\\Sprint 2,five"
            ),
            "line 3, column 'Story Points': 'five' is not a number",
        ),
    ],
    ids=["unknown-format", "no-key", "points-not-a-number"],
)
def test_a_wrong_file_is_refused_naming_the_line_and_column(text: str, message: str) -> None:
    settings = ADO if text.startswith("ID,") else JIRA
    with pytest.raises(InvalidInputError) as refused:
        read_tracker_csv(text, settings, "pay.csv")
    assert refused.value.message.startswith("pay.csv") and message in refused.value.message


def test_sprints_are_placed_by_the_pairs_given() -> None:
    assert parse_iteration_map(["Atlas Sprint 2=2", "PAY\\Sprint 3 = 3"]) == {"Atlas Sprint 2": 2, "PAY\\Sprint 3": 3}
    with pytest.raises(InvalidInputError, match="write SPRINT=N"):
        parse_iteration_map(["Atlas Sprint 2"])
