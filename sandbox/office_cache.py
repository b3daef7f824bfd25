"""DOCX and PDF attachments of sandbox reports, cached on disk across runs.

DOCX comes from ``nianbao.sandbox.docx_fast`` (``NIANBAO_SANDBOX_DOCX=office``: ``render_office``).  PDF comes from
``nianbao.sandbox.pdf_fast`` (reportlab, milliseconds) unless ``NIANBAO_SANDBOX_PDF`` says ``office``
(``render_office.render_pdf``) or ``libreoffice`` (the DOCX converted by LibreOffice: seconds
each, so cached under the user's cache directory by content hash).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from nianbao.model import Report
from nianbao.sandbox import render_office
from nianbao.sandbox.docx_fast import render_docx
from nianbao.sandbox.pdf_fast import render_pdf

_LOCK = threading.Lock()  # one LibreOffice conversion at a time (2 shared cores)


def cache_dir() -> Path:
    base = os.environ.get("NIANBAO_SANDBOX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "nianbao-sandbox")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def render(report: Report, ext: str) -> bytes:
    """The report as a ``docx`` or ``pdf`` file."""

    docx = render_office.render_docx(report) if os.environ.get("NIANBAO_SANDBOX_DOCX") == "office" else (
        render_docx(report))
    if ext == "docx":
        return docx
    if ext != "pdf":
        raise ValueError(f"unsupported attachment type {ext!r}")
    how = os.environ.get("NIANBAO_SANDBOX_PDF", "fast")
    if how == "fast":
        return render_pdf(report)
    if how == "office" and hasattr(render_office, "render_pdf"):
        return render_office.render_pdf(report)
    key = hashlib.sha256(docx).hexdigest()[:32]
    target = cache_dir() / f"{key}.pdf"
    if target.exists():
        return target.read_bytes()
    with _LOCK:
        if target.exists():
            return target.read_bytes()
        pdf = render_office.docx_to_pdf(docx)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(pdf)
        tmp.replace(target)
    return pdf
