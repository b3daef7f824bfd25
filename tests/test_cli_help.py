"""Every command and subcommand of ``nianbao`` has help text (as sqlite-utils checks)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from nianbao.cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


COMMANDS = list(_commands(main))


def test_the_documented_commands_exist() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    for required in ("parse", "ingest", "export", "crawl", "demo", "serve", "sites", "sandbox", "schedule", "runs"):
        assert required in names


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_has_help(path: tuple[str, ...], cmd: click.Command) -> None:
    assert (cmd.help or cmd.short_help or "").strip(), f"nianbao {' '.join(path)} has no help text"
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
