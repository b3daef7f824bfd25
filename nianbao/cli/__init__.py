"""The ``nianbao`` command: the top layer, a thin registry of subcommands over the library.

Each subcommand lives in a module of this package and imports what it needs at module level;
the group loads a command's module only when that command runs (or ``--help`` lists it), so
``nianbao parse`` never imports Scrapy and ``nianbao crawl`` never imports the web app.
"""

from __future__ import annotations

import importlib

import click

from nianbao import __version__

# command name -> "module:attribute" (modules of this package)
COMMANDS: dict[str, str] = {
    "parse": "parse:parse",
    "ingest": "storage:ingest",
    "export": "storage:export",
    "sites": "regions:sites",
    "crawl": "crawl:crawl",
    "demo": "crawl:demo",
    "serve": "workbench:serve",
    "users": "workbench:users",
    "notice": "notice:notice",
    "store": "distributed:store_cmd",
    "worker": "distributed:worker_cmd",
    "schedule": "monitor:schedule",
    "runs": "monitor:runs",
    "sandbox": "sandbox:sandbox",
}


def parse_settings(pairs: tuple[str, ...]) -> dict[str, str]:
    """``-s NAME=VALUE`` options (crawl and ingest alike) as a dict."""
    out: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"需要 NAME=VALUE 形式：{pair!r}", param_hint="-s")
        k, v = pair.split("=", 1)
        out[k.strip()] = v.strip()
    return out


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use (click's documented pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nianbao")
def main() -> None:
    """nianbao (年报): find, read and audit annual reports on government information disclosure."""


def walk(group: click.Group | None = None, prefix: tuple[str, ...] = ()):
    """Every (path, command) of ``nianbao``, depth first, in the order of ``--help``."""
    group = group or main
    ctx = click.Context(group, info_name="nianbao")
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or cmd.hidden:
            continue
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from walk(cmd, (*prefix, name))


def reference() -> str:
    """The command-line reference (``docs/cli.md``), made from every command's ``--help``."""
    from click.testing import CliRunner  # noqa: PLC0415 - only `make docs` and its test need the runner

    runner = CliRunner()
    parts = ["# Command-line reference", "",
             "Generated from `--help` by `make docs` (`python -m nianbao.cli.docs`); a test fails when it is stale.",
             ""]  # fmt: skip
    for path, _ in [((), main), *walk()]:
        out = runner.invoke(main, [*path, "--help"], terminal_width=100, prog_name="nianbao").output
        parts += [f"## nianbao {' '.join(path)}".rstrip(), "", "```", out.rstrip(), "```", ""]
    return "\n".join(parts)
