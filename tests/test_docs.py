"""The docs describe what is there: every command, setting and finding kind, and a working example."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from artsync.cli.app import app
from artsync.domain.findings import KINDS, analyze
from artsync.formats.plan_format import parse_plan
from artsync.settings import Settings

ROOT = Path(__file__).parents[1]


def command_names() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    names = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        names += [f"{name} {s}" for s in sub] if sub else [name]
    return sorted(names)


@pytest.mark.parametrize("command", command_names())
def test_cli_reference_mentions_every_command(command: str) -> None:
    assert f"`artsync {command}" in (ROOT / "docs" / "cli.md").read_text()


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_settings_page_lists_every_setting(name: str) -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    assert f"`{name}`" in text and f"`ARTSYNC_{name.upper()}`" in text


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_findings_page_explains_every_kind_with_its_severity(kind: str) -> None:
    assert f"| `{kind}` | {KINDS[kind]} |" in (ROOT / "docs" / "findings.md").read_text()


def test_plan_format_example_imports_and_finds_what_the_page_says() -> None:
    text = (ROOT / "docs" / "plan-format.md").read_text()
    example = re.search(r"```json\n(.*?)```", text, re.S)
    assert example
    plan = parse_plan(json.loads(example.group(1)))
    found = {(f.kind, f.items) for f in analyze(plan)}
    assert found == {
        ("milestone-miss", ("M1", "PAY-101", "PAY-101@Orion")),
        ("objective-unplanned-feature", ("ATL-1", "PAY-101", "PAY-101@Orion", "Atlas")),
        ("priority-inversion", ("PAY-101@Orion", "PAY-102@Orion")),
    }


def test_readme_gives_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert "make demo" in text and "make test" in text


def readme_tour() -> list[list[str]]:
    import shlex

    text = (ROOT / "README.md").read_text()
    tour = text[text.index("## A short tour of the CLI") :]
    block = re.search(r"```sh\n(.*?)```", tour, re.S)
    assert block
    commands = []
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0] == "artsync":
            commands.append(words[1:])
    return commands


def test_readme_tour_runs_as_written(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    commands = readme_tour()
    assert len(commands) >= 10
    for args in commands:
        result = runner.invoke(app, args, env={"ARTSYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'tour.db'}"})
        expected = 1 if "--fail-on" in args else 0  # the demo has errors on purpose
        assert result.exit_code == expected, f"artsync {' '.join(args)}: {result.stderr}"


def test_the_connection_files_in_the_connectors_page_read_with_every_option_uncommented() -> None:
    import re

    from artsync.formats.connection import parse_connection

    text = (ROOT / "docs" / "connectors.md").read_text()
    files = re.findall(r"```toml\n(.*?)```", text, re.S)
    assert len(files) == 2  # Jira's and Azure DevOps'
    for file in files:
        lines = [line[2:] if line.startswith("# ") and ("=" in line or line.startswith("# [")) else line
                 for line in file.splitlines()]  # fmt: skip
        parsed = parse_connection("\n".join(re.sub(r"\s+#.*$", "", line) for line in lines if not line.startswith("#")))
        assert parsed.train.key == "PAY" and parsed.team
