"""``python -m nianbao.cli …`` (what subprocesses of nianbao run)."""

from nianbao.cli import main

main()
