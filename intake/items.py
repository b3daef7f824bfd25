"""What the spider hands to the pipeline: a candidate report's documents, raw bytes (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DocumentItem:
    """One fetched document (the ``Document`` of design.md)."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    content_type: str | None
    body: bytes
    fetched_at: str
    referrer: str | None = None
    link_text: str | None = None
    role: str = "page"  # page | attachment
    rendered: bool = False  # fetched through the browser

    def __repr__(self) -> str:  # never dump the bytes into a log
        return f"DocumentItem({self.role} {self.status} {self.url} {len(self.body)} bytes)"


@dataclass
class ReportItem:
    """A candidate report: the page (or file) the list linked to, then its attachments."""

    portal: int
    link_text: str = ""
    list_date: str | None = None
    referrer: str | None = None
    title: str = ""
    documents: list[DocumentItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"ReportItem({self.link_text!r}, {len(self.documents)} documents)"
