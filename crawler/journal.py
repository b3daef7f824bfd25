"""A crash-safe record of finished report URLs in the job directory (for ``--resume``).

Scrapy's own JOBDIR state (queue, seen requests) is written on a clean stop only; a crawl
killed with SIGKILL leaves it partial.  This journal is appended line by line as each report
is stored, so a resumed crawl re-walks the (cheap) navigation pages and skips the reports it
already has.  Storing twice would be harmless anyway: the store is idempotent per content.
"""

from __future__ import annotations

import os
from pathlib import Path

RUNNING = "running"
CLOSED = "closed"


class Journal:
    def __init__(self, jobdir: str | os.PathLike[str]):
        self.dir = Path(jobdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "nianbao-done.txt"
        self.state_path = self.dir / "nianbao-state.txt"
        self._done: set[str] = set()
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.strip():
                    self._done.add(line.strip())
        self._fh = None

    def __len__(self) -> int:
        return len(self._done)

    def done(self, url: str) -> bool:
        return url in self._done

    def mark(self, url: str) -> None:
        if url in self._done:
            return
        self._done.add(url)
        if self._fh is None:
            self._fh = self.path.open("a", encoding="utf-8")
        self._fh.write(url + "\n")
        self._fh.flush()  # in the kernel: survives SIGKILL of this process

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def previous_state(jobdir: str | os.PathLike[str]) -> str | None:
    """``running`` when the last crawl in ``jobdir`` did not stop cleanly, ``closed``, or None."""
    p = Path(jobdir) / "nianbao-state.txt"
    return p.read_text(encoding="utf-8").strip() if p.exists() else None


def set_state(jobdir: str | os.PathLike[str], state: str) -> None:
    p = Path(jobdir)
    p.mkdir(parents=True, exist_ok=True)
    (p / "nianbao-state.txt").write_text(state, encoding="utf-8")
