"""Broken, encrypted, oversized and hostile files: a clear error naming the source, fast."""

from __future__ import annotations

import time
import zlib
from pathlib import Path

import pytest

from nianbao.parsers.attachments import UnreadableDocument, UnsupportedDocument, extract
from nianbao.sandbox.faults import docx_bomb, encrypted_pdf, huge_png, raw_pdf

CORPUS = Path(__file__).parent / "data" / "corpus"


def _pdf_bomb() -> bytes:
    """A one-page PDF whose content stream inflates to 100 MB."""
    blob = zlib.compress(b"0 0 m " * (100 * 1024 * 1024 // 6), 9)
    return raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(blob) + blob + b"\nendstream",
    ])


CASES = {
    "truncated.pdf": ("pdf", lambda: (CORPUS / "h001_hongze_district_2023.pdf").read_bytes()[:5000], "PDF"),
    "garbage.pdf": ("pdf", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40, "PDF"),
    "encrypted.pdf": ("pdf", encrypted_pdf, "encrypted"),
    "bomb.pdf": ("pdf", _pdf_bomb, "inflates"),
    "bomb.docx": ("docx", docx_bomb, "zip bomb"),
    "notzip.docx": ("docx", lambda: b"PK\x03\x04" + b"\x00" * 200, "broken"),
    "huge.png": ("png", huge_png, "too large"),
    "broken.png": ("png", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "broken image"),
    "empty.pdf": ("pdf", lambda: b"", "empty"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_files_raise_clear_errors(name):
    kind, make, why = CASES[name]
    data = make()
    t0 = time.monotonic()
    with pytest.raises(UnreadableDocument) as err:
        extract(kind, data, name)
    assert time.monotonic() - t0 < 20
    assert name in str(err.value) and why.lower() in str(err.value).lower()


def test_no_libreoffice_is_unsupported(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(UnsupportedDocument) as err:
        extract("doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old.doc")
    assert "unsupported" in str(err.value) and "old.doc" in str(err.value)


def test_read_turns_errors_into_report_errors():
    from nianbao.parsers import read

    rep = read(encrypted_pdf(), "enc.pdf")
    assert rep.is_report is False and rep.errors and "encrypted" in rep.errors[0]
