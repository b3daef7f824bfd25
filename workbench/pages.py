"""Originals as page images, made on the server (no script in the browser): PDF pages drawn by
pdfium (``pypdfium2``, in a child process with a timeout), Word/WPS documents converted to PDF by
LibreOffice first.  (``pdftoppm`` draws CJK text in non-embedded fonts as blank pages without
poppler-data; pdfium falls back to the system's CJK fonts.)

Images are cached under the store's data folder (``<db>.files/pages/<sha256>/``), keyed by the
document's hash, so nothing is written outside it.  Stored documents are untrusted: every external
tool runs with a timeout, the page count and resolution are capped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MAX_PAGES = 40
DPI = 80
TIMEOUT = 60
PAGED_FORMATS = {"pdf", "docx", "doc", "wps"}
_HEX = re.compile(r"^[0-9a-f]{64}$")


def cache_dir(files_dir: Path, sha256: str) -> Path:
    if not _HEX.match(sha256):
        raise ValueError("bad document hash")
    return files_dir / "pages" / sha256


def _pdf_of(body: bytes, fmt: str, work: Path) -> Path | None:
    if fmt == "pdf":
        pdf = work / "doc.pdf"
        pdf.write_bytes(body)
        return pdf
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        return None
    src = work / f"doc.{fmt}"
    src.write_bytes(body)
    profile = work / "profile"
    subprocess.run([office, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(work), str(src)], check=False, timeout=TIMEOUT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    pdf = work / "doc.pdf"
    return pdf if pdf.exists() else None


def render(files_dir: Path, sha256: str, body: bytes, fmt: str) -> list[Path]:
    """PNG files of the first ``MAX_PAGES`` pages (cached); empty when the document cannot be drawn."""
    out = cache_dir(files_dir, sha256)
    done = out / "done"
    if done.exists():
        return sorted(out.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    if fmt not in PAGED_FORMATS:
        return []
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nianbao-pages-") as tmp:
        work = Path(tmp)
        try:
            pdf = _pdf_of(body, fmt, work)
            if pdf is not None:
                subprocess.run([sys.executable, "-m", "nianbao.workbench.pages", str(pdf), str(work)],
                               check=False, timeout=TIMEOUT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
        except subprocess.TimeoutExpired:
            pass
        for png in work.glob("page-*.png"):
            n = int(png.stem.split("-")[-1])
            shutil.move(str(png), out / f"page-{n}.png")
    done.write_text("ok", encoding="utf-8")
    return sorted(out.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))


def draw(pdf: str, out_dir: str, *, max_pages: int = MAX_PAGES, dpi: int = DPI) -> int:
    """Draw the first pages of ``pdf`` as ``page-N.png`` into ``out_dir`` (run in a child process)."""
    import pypdfium2 as pdfium  # noqa: PLC0415 - only the child process draws

    doc = pdfium.PdfDocument(pdf)
    n = min(len(doc), max_pages)
    for i in range(n):
        doc[i].render(scale=dpi / 72).to_pil().save(Path(out_dir) / f"page-{i + 1}.png", optimize=True)
    doc.close()
    return n


if __name__ == "__main__":  # python -m nianbao.workbench.pages FILE.pdf OUT_DIR
    draw(sys.argv[1], sys.argv[2])
