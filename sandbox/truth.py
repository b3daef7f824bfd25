"""Compare a crawl's stored reports with a simulated network's ground truth (pure).

Used by ``nianbao demo``, the crawl tests and the crawl benchmark: recall (reports found),
precision (no decoy stored as a report), publication-date accuracy and agency attribution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _key(url: str | None) -> str:
    return (url or "").strip().rstrip("/").lower()


@dataclass
class Comparison:
    expected: int
    found: int
    matched: int
    decoys_stored: list[str] = field(default_factory=list)
    extra: list[dict[str, Any]] = field(default_factory=list)  # stored reports the truth does not list
    missed: list[dict[str, Any]] = field(default_factory=list)
    date_right: int = 0
    date_wrong: list[tuple[str, str | None, str]] = field(default_factory=list)
    agency_right: int = 0
    agency_wrong: list[tuple[str, str | None, str]] = field(default_factory=list)
    year_wrong: list[tuple[str, Any, int]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def date_accuracy(self) -> float:
        return self.date_right / self.matched if self.matched else 1.0

    @property
    def agency_accuracy(self) -> float:
        return self.agency_right / self.matched if self.matched else 1.0

    def lines(self) -> list[str]:
        """Chinese summary lines."""
        return [
            f"与真实情况对比：找到 {self.matched} / {self.expected} 份报告（召回率 {self.recall:.1%}），"
            f"误存为报告的干扰页 {len(self.decoys_stored)} 个，精确率 {self.precision:.1%}。",
            f"发布日期正确 {self.date_right} / {self.matched}（{self.date_accuracy:.1%}），"
            f"机构归属正确 {self.agency_right} / {self.matched}（{self.agency_accuracy:.1%}）。",
        ]


def compare(truth: dict[str, Any], stored: list[dict[str, Any]]) -> Comparison:
    """``stored``: export rows (agency, year, url, published …) of reports with ``is_report`` true.

    A truth report matches a stored one by URL (the article page, the direct attachment, or
    one of its attachments: the store keeps the reading that was best).
    """
    by_url: dict[str, dict[str, Any]] = {}
    for t in truth["reports"]:
        for u in [t.get("url"), t.get("page"), *(t.get("attachments") or [])]:
            if u:
                by_url[_key(u)] = t
    decoy_urls = {_key(d["url"]) for d in truth.get("decoys", [])}
    cmp = Comparison(expected=len(truth["reports"]), found=len(stored), matched=0)
    seen: set[int] = set()
    for row in stored:
        u = _key(row.get("url"))
        if u in decoy_urls:
            cmp.decoys_stored.append(row.get("url"))
            continue
        t = by_url.get(u)
        if t is None:
            cmp.extra.append(row)
            continue
        if id(t) in seen:
            cmp.extra.append(row)  # the same report stored twice
            continue
        seen.add(id(t))
        cmp.matched += 1
        if str(row.get("published") or "")[:10] == t["published"]:
            cmp.date_right += 1
        else:
            cmp.date_wrong.append((t["url"], row.get("published"), t["published"]))
        if row.get("agency") == t["agency"]:
            cmp.agency_right += 1
        else:
            cmp.agency_wrong.append((t["url"], row.get("agency"), t["agency"]))
        if row.get("year") != t["year"]:
            cmp.year_wrong.append((t["url"], row.get("year"), t["year"]))
    cmp.missed = [t for t in truth["reports"] if id(t) not in seen]
    return cmp
