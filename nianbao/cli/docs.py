"""``python -m nianbao.cli.docs [FILE]``: write the command-line reference (default ``docs/cli.md``)."""

from __future__ import annotations

import sys
from pathlib import Path

from nianbao.cli import reference

if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/cli.md")
    target.write_text(reference(), encoding="utf-8")
    print(f"wrote {target}")
