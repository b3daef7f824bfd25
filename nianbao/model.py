"""The canonical report (``docs/domain/report-model.md``) and findings.

Every reader (text, HTML, PDF, DOCX, OCR) produces a :class:`Report`; every rule produces
:class:`Finding` objects.  These are plain data objects: no I/O here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

CellStatus = Literal["ok", "blank", "unreadable"]
Severity = Literal["error", "warning", "info"]


@dataclass
class Cell:
    """One table value as read from the document.

    ``status`` tells the two kinds of ``None`` apart: ``blank`` (empty, dash, 无: the publisher
    meant 0) and ``unreadable`` (garbled, OCR below confidence: no identity may use it).
    """

    value: int | float | None
    raw: str = ""
    status: CellStatus = "ok"
    confidence: float | None = None  # OCR confidence of the value, 0..1
    note: str | None = None  # e.g. "split of glued digits was ambiguous"

    @property
    def number(self) -> int | float | None:
        """Value for arithmetic: blank counts as 0, unreadable stays None."""
        if self.status == "blank":
            return 0
        return self.value


Table = dict[str, dict[str, Cell]]  # row key -> column key -> cell


@dataclass
class DateEvidence:
    """A candidate publication date and where it was found."""

    date: dt.date
    source: Literal["meta", "visible", "url", "signature", "list", "header"]
    text: str = ""


@dataclass
class Finding:
    """One rule firing on one place of one report."""

    rule: str
    severity: Severity
    where: str
    message: str
    expected: Any = None
    actual: Any = None
    evidence: str = ""

    def fingerprint(self, agency: str | None, year: int | None) -> str:
        """Stable identity of this finding across re-crawls and re-parses.

        Values are left out on purpose: a reviewer's decision on "the balance of column 总计 of
        X's 2024 report is wrong" should survive a re-parse that reads one more digit.
        """
        key = "|".join([self.rule, self.where, agency or "", str(year or "")])
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "where": self.where,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
            "evidence": self.evidence,
        }


@dataclass
class Report:
    """The canonical reading of one document."""

    source: str
    is_report: bool = True
    agency: str | None = None
    agency_source: str | None = None  # title / signature / meta / hint
    agency_kind: Literal["government", "department", "township"] | None = None
    title: str | None = None
    year: int | None = None
    layout: Literal["2019", "2021"] | None = None
    published: dt.date | None = None
    published_source: str | None = None
    dates: list[DateEvidence] = field(default_factory=list)
    url: str | None = None
    sections: dict[str, str] = field(default_factory=dict)  # "1".."6" -> section text
    disclosure: Table = field(default_factory=dict)
    applications: Table = field(default_factory=dict)
    appeals: Table = field(default_factory=dict)
    text: str = ""  # the whole readable text, tables excluded where possible
    read_by: str = "text"  # text, html, pdf, docx, xlsx, ocr
    notes: list[str] = field(default_factory=list)  # reading caveats, in English
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # why it could not be read

    def table(self, name: str) -> Table:
        return {"disclosure": self.disclosure, "applications": self.applications, "appeals": self.appeals}[name]

    def cells(self):
        """Yield ``(table, row, column, cell)`` for every cell."""
        for name in ("disclosure", "applications", "appeals"):
            for row, cols in self.table(name).items():
                for col, cell in cols.items():
                    yield name, row, col, cell

    def to_contract(self) -> dict[str, Any]:
        """The JSON contract of report-model.md."""

        def plain(t: Table) -> dict[str, dict[str, Any]]:
            return {r: {c: cell.value for c, cell in cols.items()} for r, cols in t.items()}

        out: dict[str, Any] = {
            "source": self.source,
            "is_report": self.is_report,
            "agency": self.agency,
            "year": self.year,
            "layout": self.layout,
            "published": self.published.isoformat() if self.published else None,
            "published_source": self.published_source,
            "title": self.title,
            "read_by": self.read_by,
            "sections": sorted(self.sections),
        }
        if self.is_report:
            out["disclosure"] = plain(self.disclosure)
            out["applications"] = plain(self.applications)
            out["appeals"] = plain(self.appeals)
        out["findings"] = [f.to_dict() for f in self.findings]
        if self.notes:
            out["notes"] = list(self.notes)
        if self.errors:
            out["errors"] = list(self.errors)
        return out


# ---------------------------------------------------------------- history records
# What the history rules know of earlier crawls (``nianbao.rules.histories.History``).


@dataclass(frozen=True)
class AgencyInfo:
    """An agency as the store knows it; ``watched``: it has a portal in the site list."""

    name: str
    kind: str | None = None  # government | department | township
    level: str | None = None
    province: str | None = None
    parent: str | None = None
    region: str | None = None
    watched: bool = True


@dataclass
class StoredReport:
    """One reading of one version of a document, with where it came from."""

    report: Report
    agency: str
    year: int
    report_id: int | None = None
    document: str | None = None  # canonical URL of the document read
    version: int = 1  # 1 = first version of that document
    fetched_at: str | None = None  # when this version was first fetched
    first_seen: dt.date | None = None


@dataclass(frozen=True)
class Removal:
    """A report seen before that is gone: ``gone`` (404/410) or ``unlisted`` (no longer linked)."""

    stored: StoredReport
    how: Literal["gone", "unlisted"]
    status: int | None = None
    since: str | None = None
