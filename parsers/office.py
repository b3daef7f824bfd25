"""Old Office formats (DOC, WPS, XLS) converted to DOCX/XLSX by LibreOffice headless."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from nianbao.parsers.errors import UnreadableDocument, UnsupportedDocument

TIMEOUT = 120.0  # seconds for one conversion


def soffice() -> str | None:
    """Path of the LibreOffice binary, or ``None`` if it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(data: bytes, source: str, kind: str, target: str, *, timeout: float = TIMEOUT) -> bytes:
    """Convert ``data`` (a ``kind`` file: doc, wps, xls, docx…) to ``target`` (docx, xlsx, pdf).

    Runs ``soffice --headless --convert-to`` with a private throw-away profile, so parallel
    conversions don't fight over the user's profile lock.
    """
    exe = soffice()
    if exe is None:
        raise UnsupportedDocument(source, f"{kind.upper()} needs LibreOffice (soffice), which is not installed")
    with tempfile.TemporaryDirectory(prefix="nianbao-office-") as tmp:
        src = Path(tmp) / f"input.{kind}"
        src.write_bytes(data)
        outdir = Path(tmp) / "out"
        profile = Path(tmp) / "profile"
        cmd = [
            exe,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(src),
        ]
        try:
            proc = subprocess.Popen(
                cmd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # own process group: a timeout kills soffice.bin too
                env={**os.environ, "HOME": tmp},
            )
            try:
                _, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired as e:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                raise UnreadableDocument(source, f"LibreOffice took more than {timeout:.0f}s converting {kind.upper()}") from e
        except OSError as e:
            raise UnsupportedDocument(source, f"LibreOffice could not start ({e})") from e
        result = outdir / f"input.{target}"
        if not result.exists():
            msg = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
            raise UnreadableDocument(source, f"LibreOffice could not convert this {kind.upper()} file {' '.join(msg)}".strip())
        return result.read_bytes()
