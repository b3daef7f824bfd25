"""What a reader raises when a document cannot be read (the message names the source and why)."""

from __future__ import annotations

__all__ = ["UnreadableDocument", "UnsupportedDocument"]


class UnreadableDocument(ValueError):
    """The document cannot be read: broken, encrypted, oversized, or an unsupported format."""

    def __init__(self, source: str, why: str):
        self.source = source
        self.why = why
        super().__init__(f"{source}: {why}")


class UnsupportedDocument(UnreadableDocument):
    """The format needs a tool that is not installed here (LibreOffice for DOC/WPS/XLS)."""

    def __init__(self, source: str, why: str):
        super().__init__(source, f"unsupported: {why}")
