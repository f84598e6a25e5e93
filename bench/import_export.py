"""Import of the `train` demo's export through the CLI, on SQLite and on the local PostgreSQL.

Target (issue: foundation): under 10 s. Also prints the export time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get("ARTSYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def artsync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "artsync", *args], capture_output=True, text=True, check=False)


def timed(*args: str) -> float:
    start = time.perf_counter()
    result = artsync(*args)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"artsync {' '.join(args)} failed: {result.stderr.strip()}")
    return elapsed


def measure(name: str, source_url: str, target_url: str, folder: Path) -> None:
    export = folder / f"{name}.json"
    export_time = timed("export", "--db", source_url, "-o", str(export))
    import_time = timed("import", str(export), "--db", target_url)
    size = export.stat().st_size / 1e6
    print(f"  {name}: export {export_time:.2f} s, import {import_time:.2f} s ({size:.1f} MB JSON) (target < 10 s)")


def main() -> None:
    print("import of the train demo's export (40 teams, 2,000 features, 3,000+ cards, 2,000+ dependencies):")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = f"sqlite:///{folder / 'source.db'}"
        if artsync("demo", "--size", "train", "--db", source).returncode != 0:
            sys.exit("could not load the train demo")
        measure("SQLite", source, f"sqlite:///{folder / 'target.db'}", folder)
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:
            print(f"  PostgreSQL: not measured, {POSTGRES_URL} is not reachable ({exc.__class__.__name__})")
            return
        try:
            measure("PostgreSQL", source, f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", folder)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
