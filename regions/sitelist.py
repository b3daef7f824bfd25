"""Build a crawler site list (the CSV format of docs/sites: agency,url,level,region,parent) from the registry."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from nianbao.regions.registry import Region, Registry

SITE_FIELDS = ["agency", "url", "level", "region", "parent"]
# Registry levels -> the level words of the site list.
SITE_LEVEL = {"province": "province", "prefecture": "city", "county": "county"}
# Level words a user may type on the command line or in a site list.
LEVEL_ALIASES = {
    "province": "province", "省": "province", "省级": "province",
    "prefecture": "prefecture", "city": "prefecture", "市": "prefecture", "地级": "prefecture",
    "county": "county", "县": "county", "县级": "county",
}


@dataclass
class SiteList:
    rows: list[dict[str, str]] = field(default_factory=list)
    without_portal: list[Region] = field(default_factory=list)  # units the registry has no URL for
    counts: dict[str, int] = field(default_factory=dict)  # registry level -> rows written
    access: dict[str, int] = field(default_factory=dict)  # access_method_code -> rows written


def site_row(reg: Registry, region: Region) -> dict[str, str]:
    parent = reg.get(region.parent_code) if region.parent_code else None
    return {
        "agency": region.agency,
        "url": region.start_url or "",
        "level": SITE_LEVEL[region.level],
        "region": region.code,
        "parent": parent.agency if parent else "",
    }


def build(reg: Registry, scope: Region | None = None, levels: Iterable[str] | None = None,
          include_uncoded: bool = False) -> SiteList:
    """Site rows for ``scope`` (itself and everything below it; the whole country when None),
    restricted to ``levels`` (registry level names), in code order."""
    wanted = set(levels or ("province", "prefecture", "county"))
    if scope is None:
        candidates = sorted(reg, key=lambda r: r.code)
    else:
        candidates = [scope, *reg.descendants(scope)]
    out = SiteList(counts={lvl: 0 for lvl in ("province", "prefecture", "county")})
    for region in candidates:
        if region.level not in wanted:
            continue
        if not region.start_url:
            out.without_portal.append(region)
            continue
        out.rows.append(site_row(reg, region))
        out.counts[region.level] += 1
        out.access[region.access_method_code] = out.access.get(region.access_method_code, 0) + 1
    if include_uncoded:
        for portal in reg.uncoded:
            parent = reg.get(portal.parent_code)
            if portal.level not in wanted or parent is None:
                continue
            if scope is not None and not reg.is_within(parent, scope):
                continue
            out.rows.append({"agency": portal.agency, "url": portal.start_url,
                             "level": SITE_LEVEL.get(portal.level, portal.level), "region": parent.code,
                             "parent": "" if portal.level == "province" else parent.agency})
            out.counts[portal.level] = out.counts.get(portal.level, 0) + 1
            out.access[portal.access_method_code] = out.access.get(portal.access_method_code, 0) + 1
    return out
