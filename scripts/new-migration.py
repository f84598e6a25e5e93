"""Write the next Alembic migration from the difference between store/models.py and the migrations so far.

Usage: .venv/bin/python scripts/new-migration.py "what changed"
Then read the file before committing (store/db.py reads the newest revision from the folder).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from artsync.store.db import migrate, schema_version
from artsync.store.models import Base

VERSIONS = Path(__file__).parents[1] / "src" / "artsync" / "store" / "migrations" / "versions"


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/head.db")
        migrate(engine)
        head = schema_version(engine)
        with engine.connect() as conn:
            ops = produce_migrations(MigrationContext.configure(conn, opts={"render_as_batch": True}), Base.metadata)
            upgrade, downgrade = render_python_code(ops.upgrade_ops), render_python_code(ops.downgrade_ops)
        engine.dispose()
    revision = f"{int(head or 0) + 1:04d}"
    slug = "_".join(re.findall(r"[a-z0-9]+", message.lower()))[:50].rstrip("_")
    path = VERSIONS / f"{revision}_{slug}.py"
    path.write_text(
        f'"""{message}\n\nRevision ID: {revision}\nRevises: {head}\n"""\n\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision = "{revision}"\ndown_revision = "{head}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        f"def upgrade() -> None:\n{upgrade}\n\ndef downgrade() -> None:\n{downgrade}\n"
    )
    print(f"wrote {path.relative_to(Path.cwd())} (revision {revision!r}); read it before committing")


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "schema change")
