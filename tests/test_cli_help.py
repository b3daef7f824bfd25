"""Every command of ``nianbao`` has help text, and ``docs/cli.md`` is what ``--help`` says (as sqlite-utils
checks its docs with cog)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nianbao.cli import main, reference, walk

COMMANDS = list(walk())
DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_the_documented_commands_exist() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    for required in ("parse", "ingest", "export", "crawl", "demo", "serve", "sites", "sandbox", "schedule",
                     "schedule audit", "runs", "users", "users list", "store", "worker"):  # fmt: skip
        assert required in names


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_has_help(path, cmd) -> None:
    assert (cmd.help or cmd.short_help or "").strip(), f"nianbao {' '.join(path)} has no help text"
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_the_cli_reference_is_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == reference(), "docs/cli.md is stale: run `make docs`"
