"""Running ``artsync`` commands in-process against the test database, as the local operator."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from artsync.cli.app import app

runner = CliRunner()


def run(database_url: str, *args: str, actor: str = "rte-alice") -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", database_url], env={"ARTSYNC_ACTOR": actor})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def demo_db(database_url, tmp_path) -> str:
    """The small demo train's plan, in PI planning, imported from its file (no story: that is `demo`'s)."""
    from artsync.formats.demo import demo_plan
    from artsync.formats.plan_format import dumps_plan

    file = tmp_path / "shop.json"
    file.write_text(dumps_plan(demo_plan("small")))
    code, out, err = run(database_url, "import", str(file))
    assert code == 0, err
    assert "Imported train SHOP: 6 teams, 60 features" in out
    return database_url
