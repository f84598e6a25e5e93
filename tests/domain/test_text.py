"""People's text in each output: CSV cells, chat messages, mail subjects and Markdown can't be abused."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from artsync.domain.events import Event
from artsync.domain.notifications import event_subject, webhook_payload
from artsync.domain.text import chat_text, csv_cell, markdown_text, one_line
from artsync.views.report import csv_text


@pytest.mark.parametrize(
    "formula", ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
)
def test_a_csv_cell_that_a_spreadsheet_would_run_is_written_as_text(formula: str) -> None:
    written = csv_text([{"risk": formula, "points": -3}])
    assert csv_cell(formula) == "'" + formula
    if "\r" not in formula:
        rows = list(csv.reader(io.StringIO(written)))
        assert rows[1] == ["'" + formula, "-3"]  # a number stays a number


def test_ordinary_csv_text_is_untouched() -> None:
    assert csv_cell("Checkout = faster") == "Checkout = faster"


def test_chat_text_escapes_slack_mentions_and_links() -> None:
    assert chat_text("<!channel> see <http://evil.example|docs> & more") == (
        "&lt;!channel&gt; see &lt;http://evil.example|docs&gt; &amp; more"
    )


def test_a_slack_and_a_teams_message_carry_no_mention_or_link_people_typed() -> None:
    text = "R1 <!channel> <http://evil.example|click>"
    for kind in ("slack", "teams"):
        body = json.dumps(webhook_payload(kind, f"[ART] risk {text}", text, {}))
        assert "<!channel>" not in body and "<http" not in body


def test_a_mail_subject_is_one_line_even_when_the_text_has_line_breaks() -> None:
    event = Event(
        1, datetime(2026, 11, 1, tzinfo=UTC), "rita", "risk", "R1", "raised", None, {"text": "Lab\r\nBcc: x@evil"}
    )
    subject = event_subject("ART", event)
    assert "\n" not in subject and "\r" not in subject
    assert one_line("a\nb\x00c") == "a b c"
    assert len(one_line("x" * 1000)) == 300


def test_markdown_text_escapes_html_and_stays_on_one_line() -> None:
    assert markdown_text("<img src=x onerror=alert(1)>\n# heading") == "&lt;img src=x onerror=alert(1)&gt; # heading"
