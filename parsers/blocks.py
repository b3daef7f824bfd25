"""What every reader produces: the document as an ordered list of text and grid blocks.

A reader (text, HTML, PDF, DOCX, OCR) only has to turn its format into these; the shared
``nianbao.parsers.mapping`` turns them into a :class:`nianbao.model.Report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class GridCell:
    """The text of one grid position. A merged cell is repeated in every position it covers
    (``span_origin`` is False for the copies)."""

    text: str
    confidence: float | None = None  # OCR only
    span_origin: bool = True


@dataclass
class TextBlock:
    """A paragraph or line of running text."""

    text: str
    page: int | None = None


@dataclass
class GridBlock:
    """A table laid out as a rectangular grid (rowspan/colspan already expanded)."""

    rows: list[list[GridCell]] = field(default_factory=list)
    page: int | None = None

    @classmethod
    def from_strings(cls, rows: list[list[str]]) -> GridBlock:
        width = max((len(r) for r in rows), default=0)
        return cls([[GridCell(t) for t in r] + [GridCell("") for _ in range(width - len(r))] for r in rows])


Block = TextBlock | GridBlock


@dataclass
class Extracted:
    """A reader's output: blocks in document order plus what the format itself says."""

    blocks: list[Block] = field(default_factory=list)
    read_by: str = "text"
    meta: dict[str, str] = field(default_factory=dict)  # e.g. HTML <meta> name -> content
    title: str | None = None  # e.g. HTML <title>
    notes: list[str] = field(default_factory=list)
