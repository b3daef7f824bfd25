"""``python -m nianbao.crawler crawl …``: the crawl command without the rest of the CLI (used by ``nianbao demo``)."""

from __future__ import annotations

import click
from nianbao.crawler.cli import crawl, demo


@click.group()
def main() -> None:
    """nianbao crawler."""


main.add_command(crawl)
main.add_command(demo)

if __name__ == "__main__":
    main()
