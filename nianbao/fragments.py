"""Fragments: documents read as reports from their tables alone (an extract, one part of a split
attachment).  Shared by the readers (which mark them) and the rules (which do not accuse an
agency of omitting what the fragment merely does not contain).  Pure, no imports."""

from __future__ import annotations

from typing import Protocol

__all__ = ["FRAGMENT_NOTE", "is_fragment"]

FRAGMENT_NOTE = "fragment: read as a report from its tables; parts of the report are not in this document"


class _HasNotes(Protocol):
    notes: list[str]


def is_fragment(report: _HasNotes) -> bool:
    """Whether the reader marked ``report`` as a fragment of a report."""
    return FRAGMENT_NOTE in report.notes
