"""People's text, made safe for each place it is written to.

Titles, notes and owners are typed by people; each output has characters that mean
something to its reader. One function per output, used everywhere that output is made,
so the same text renders the same everywhere:

- a spreadsheet runs a CSV cell that starts with ``= + - @`` (or a tab or carriage
  return) as a formula: ``csv_cell`` makes it text (OWASP's rule: a leading ``'``);
- Slack reads ``<!channel>`` and ``<http://…|text>`` as mentions and links, Teams renders
  HTML: ``chat_text`` escapes ``& < >``;
- a mail header is one line: ``one_line`` folds line breaks and control characters;
- Markdown passes raw HTML through: ``markdown_text`` escapes it, and keeps a value on one
  line so it cannot start a heading or a list of its own.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def chat_text(text: str) -> str:
    """Text for a Slack or Teams message: their three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def one_line(text: str, limit: int = 300) -> str:
    """Text for a mail subject (or any header): one line, at most ``limit`` characters."""
    folded = CONTROL.sub(" ", text).strip()
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def markdown_text(value: Any) -> str:
    """A value written into Markdown: HTML escaped, on one line."""
    if value is None:
        return ""
    return CONTROL.sub(" ", str(value)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
