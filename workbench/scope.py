"""Region scope of an account: the one place that decides what a scoped account may see.

An account may be limited to a division (``users.region_code``): a prefecture officer sees only the
prefecture's own agencies and those of its counties, a county officer only the county's.  An
agency is in scope when one of its place's codes (province / prefecture / county, as
:func:`nianbao.workbench.places.agency_place` finds them, names included) starts with the scope's
division-code prefix (``210300`` -> ``2103``, ``210000`` -> ``21``, ``210302`` -> ``210302``).

Every view goes through this module: :func:`request_filters` clamps the region asked for into the
scope (so every rollup, list, export, score, calendar and 通报 built from the filters stays
inside it), :meth:`RegionScope.agency_ids` restricts finding queries, and :meth:`RegionScope.allows_agency` /
:meth:`RegionScope.allows_report` / :meth:`RegionScope.allows_version` guard the pages of one record (a
record outside the scope answers the ordinary Chinese 404, saying nothing about it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from nianbao.regions.registry import get, lookup
from nianbao.storage import views as q
from nianbao.workbench.overview import Filters
from nianbao.workbench.places import Place, agency_place, region_name


def code_prefix(code: str) -> str:
    """The division-code prefix shared by a division and everything below it."""
    code = code.strip()
    if len(code) == 12 and code[6:] == "000000":
        code = code[:6]
    if len(code) == 6:
        if code[2:] == "0000":
            return code[:2]
        if code[4:] == "00":
            return code[:4]
    return code


def resolve_region(text: str | None) -> str | None:
    """The division code of a code or a unique name (鞍山市, 辽宁省鞍山市); None for blank.

    Raises ``ValueError`` (Chinese) for a code or name the registry does not know or that is
    ambiguous: an account is never scoped by a guess.
    """
    text = (text or "").strip()
    if not text:
        return None
    region = None
    try:
        region = get(text) if text.isdigit() else lookup(text)
    except Exception:  # noqa: BLE001 - registry missing or broken
        region = None
    if region is None:
        raise ValueError(f"不认识的行政区划：{text}（请填写区划代码，或唯一的地区名称，如「辽宁省鞍山市」）")
    return region.code


@dataclass(frozen=True)
class RegionScope:
    """What one account may see: everything (``region`` None) or one division and below."""

    region: str | None = None
    _ids: dict = field(default_factory=dict, compare=False, repr=False)  # agency ids, once per request

    @property
    def limited(self) -> bool:
        return bool(self.region)

    @property
    def label(self) -> str | None:
        return (region_name(self.region) or self.region) if self.region else None

    def covers_code(self, code: str | None) -> bool:
        """Whether division ``code`` lies in the scope (always, for an unlimited account)."""
        if not self.region:
            return True
        code = (code or "").replace(":self", "")
        return bool(code) and code.isdigit() and code.startswith(code_prefix(self.region))

    def covers(self, place: Place) -> bool:
        return not self.region or any(self.covers_code(c) for c in place.codes())

    def agencies(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        rows = list(rows)
        return rows if not self.region else [a for a in rows if self.covers(agency_place(a))]

    def agency_ids(self, store: Any) -> list[int] | None:
        """Ids of the agencies in scope; None for an unlimited account (no restriction)."""
        if not self.region:
            return None
        if "ids" not in self._ids:
            self._ids["ids"] = [a["id"] for a in self.agencies(q.agencies(store))]
        return list(self._ids["ids"])

    def allows_agency(self, agency: dict[str, Any] | None) -> bool:
        return agency is not None and self.covers(agency_place(agency))

    def allows_report(self, store: Any, report: dict[str, Any] | None) -> bool:
        """A report is in scope when its agency is (a report without agency: only for unlimited)."""
        if report is None:
            return False
        if not self.region:
            return True
        agency = store.agency(report["agency_id"]) if report.get("agency_id") else None
        return self.allows_agency(agency)

    def allows_version(self, store: Any, version_id: int) -> bool:
        """A stored document version is in scope when a report read from it is."""
        if not self.region:
            return True
        ids = [r["agency_id"] for r in store.query(
            "SELECT DISTINCT agency_id FROM reports WHERE version_id = ? AND agency_id IS NOT NULL", (version_id,))]
        allowed = set(self.agency_ids(store) or ())
        return any(i in allowed for i in ids)

    def clamp(self, f: Filters) -> Filters:
        """``f`` with its region kept inside the scope (none asked, or one outside: the scope's own)."""
        if not self.region or (f.region and self.covers_code(f.region)):
            return f
        return replace(f, region=self.region)

    def finding_filters(self, store: Any, filters: dict[str, Any]) -> dict[str, Any]:
        """Finding-query filters restricted to the scope's agencies (intersected with any given)."""
        ids = self.agency_ids(store)
        if ids is None:
            return filters
        given = filters.get("agency_ids")
        if given is not None:
            wanted = set(given)
            ids = [i for i in ids if i in wanted]
        return {**filters, "agency_ids": ids}

    def region_options(self, options: Sequence[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
        """Region-selector options inside the scope only."""
        return [o for o in options if self.covers_code(o[0])]


def scope_of(user: dict[str, Any] | None) -> RegionScope:
    return RegionScope((user or {}).get("region") or None)
