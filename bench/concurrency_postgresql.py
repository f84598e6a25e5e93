"""Simultaneous reads, edits and an edit storm against `artsync serve` on PostgreSQL

See bench/support/concurrency.py for what is measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
from support.concurrency import postgresql

if __name__ == "__main__":
    postgresql()
