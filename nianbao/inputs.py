"""Files named on the command line (``nianbao parse`` / ``nianbao ingest``), read defensively.

Only regular files are read (a named pipe or a device would block the batch), never more than
``MAX_INPUT_BYTES`` (checked before reading), and, for files found by walking a folder, only
those that stay inside it after following symbolic links.  :func:`shown` escapes a name for a
terminal line, so a newline in a file name cannot forge a line of output.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

MAX_INPUT_BYTES = 100 * 1024 * 1024  # as the readers' own cap: a report is a few MB


class InputRefused(OSError):
    """A path that is not read; ``reason`` is a Chinese sentence for the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def shown(path: str | os.PathLike[str]) -> str:
    """``path`` for one terminal line: control and other unprintable characters escaped."""
    text = os.fsdecode(path) if not isinstance(path, str) else path
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def walk(paths: tuple[str, ...] | list[str]) -> Iterator[tuple[Path, Path | None]]:
    """(file, folder it was found in or None) for files as given and folders walked (sorted, hidden skipped).

    Everything that is not a directory is listed (pipes, sockets, dangling links too), so that
    :func:`read_input` can say why it is not read instead of skipping it silently.
    """
    for p in map(Path, paths):
        if p.is_dir():
            found = []
            # links to folders are not walked (a link to / would walk the whole disk); links to files are
            # listed and read_input refuses those that lead out of the folder
            for top, dirs, files in os.walk(p, followlinks=False):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found += [Path(top, f) for f in files if not f.startswith(".")]
            for f in sorted(found):
                yield f, p
        else:
            yield p, None


def read_input(path: Path, root: Path | None = None, *, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of ``path``; raises :class:`InputRefused` (or OSError) instead of blocking or overreading."""
    if root is not None:
        real, base = path.resolve(), root.resolve()
        if real != base and base not in real.parents:
            raise InputRefused("是指向文件夹之外的符号链接，未读取")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)  # a FIFO must not block open()
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "命名管道" if stat.S_ISFIFO(st.st_mode) else "设备或套接字"
            raise InputRefused(f"不是普通文件（{kind}），未读取")
        if st.st_size > max_bytes:
            raise InputRefused(f"文件过大（{st.st_size / 1048576:.0f} MB，上限 {max_bytes // 1048576} MB），未读取")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # grew while being read
                raise InputRefused(f"文件过大（超过上限 {max_bytes // 1048576} MB），未读取")
        return b"".join(chunks)
    finally:
        os.close(fd)
