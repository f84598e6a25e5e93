"""The API's field types, from the one table of limits (``domain/limits.py``).

Every body model uses these, so the OpenAPI document promises exactly what the services
accept: text has at least one character that is not a space, keys and card references
have their shape, and no value is longer than its limit.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from artsync.domain import limits

# Somewhere a character that is not a space, spelled out as Python's str.strip() knows spaces (the services strip
# text), because JSON Schema's \s and Python's disagree; patterns search, so one such character is enough.
NOT_BLANK = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
KEY_SHAPE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"  # domain.plan.KEY_PATTERN
CARD_REF_SHAPE = r"^[^@\s][^@]*@[^@\s]+$"  # FEATURE@TEAM

Key = Annotated[str, Field(min_length=1, max_length=limits.KEY, pattern=KEY_SHAPE)]
Ref = Annotated[str, Field(min_length=3, max_length=2 * limits.KEY + 1, pattern=CARD_REF_SHAPE)]
Name = Annotated[str, Field(min_length=1, max_length=limits.NAME, pattern=NOT_BLANK)]
Title = Annotated[str, Field(min_length=1, max_length=limits.TITLE, pattern=NOT_BLANK)]
Text = Annotated[str, Field(min_length=1, max_length=limits.TEXT, pattern=NOT_BLANK)]
Note = Annotated[str, Field(max_length=limits.TEXT)]  # may be empty: an empty note clears it
