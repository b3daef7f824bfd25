"""The ``nianbao`` command: a thin registry of subcommands over the library.

Each part owns its commands in its own ``cli`` module; this file only collects them.
"""

from __future__ import annotations

import click

from nianbao import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nianbao")
def main() -> None:
    """nianbao (年报): find, read and audit annual reports on government information disclosure."""


def _register() -> None:
    from nianbao.crawler.cli import crawl, demo
    from nianbao.distributed.cli import store_cmd, worker_cmd
    from nianbao.monitor.cli import runs, schedule
    from nianbao.parsers.cli import parse
    from nianbao.regions.cli import sites
    from nianbao.sandbox.cli import sandbox
    from nianbao.storage.cli import export, ingest
    from nianbao.workbench.cli import serve, users

    for cmd in (parse, ingest, export, sites, crawl, demo, serve, users, store_cmd, worker_cmd, schedule, runs, sandbox):
        main.add_command(cmd)


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
