"""Where an agency sits: province / prefecture / county from its region code (``nianbao.regions.registry``).

Rollups group agencies by one of these levels.  Codes unknown to the registry fall back to the
province the store derived from the code or name; agencies without any place go to 地区不明.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from nianbao.regions.registry import get, lineage, lookup
from nianbao.storage.places import PROVINCES

UNKNOWN = ("", "地区不明")


@dataclass(frozen=True)
class Place:
    """(code, name) pairs of the three levels; a missing level is None."""

    province: tuple[str, str] | None
    prefecture: tuple[str, str] | None
    county: tuple[str, str] | None

    def codes(self) -> set[str]:
        return {p[0] for p in (self.province, self.prefecture, self.county) if p and p[0]}

    def within(self, code: str | None) -> bool:
        """True when no region is asked for or this place lies in/at ``code``."""
        return not code or code in self.codes()

    def bucket(self, group_by: str) -> tuple[str, str]:
        """(code, name) of the rollup row this place falls into at level ``group_by``.

        ``prefecture`` rows put a 省直辖 county under itself and a province-level agency under
        "<province>本级"; ``county`` rows put prefecture/province-level agencies under "<x>本级".
        """
        if group_by == "province":
            return self.province or UNKNOWN
        if group_by == "prefecture":
            if self.prefecture:
                return self.prefecture
            if self.county:
                return self.county
            if self.province:
                return (self.province[0] + ":self", self.province[1] + "本级")
            return UNKNOWN
        if self.county:
            return self.county
        top = self.prefecture or self.province
        return (top[0] + ":self", top[1] + "本级") if top else UNKNOWN


@lru_cache(maxsize=20000)
def place_of(region_code: str | None, province_name: str | None = None) -> Place:
    """The place of a division code (cached: a registry lookup per distinct code)."""
    if region_code:
        try:
            prov, pref, county = lineage(region_code)
        except Exception:  # noqa: BLE001 - registry missing or broken: degrade to the province name
            prov = pref = county = None
        if prov is not None:
            return Place(
                (prov.code, prov.name),
                (pref.code, pref.name) if pref else None,
                (county.code, county.name) if county else None,
            )
    if province_name:
        code = next((c + "0000" for c, n in PROVINCES.items() if n == province_name), province_name)
        return Place((code, province_name), None, None)
    return Place(None, None, None)


@lru_cache(maxsize=20000)
def _named_region(name: str, province_name: str | None) -> str | None:
    """The code of the one region ``name`` denotes (within ``province_name`` when known), else None."""
    within = next((c + "0000" for c, n in PROVINCES.items() if n == province_name), None)
    try:
        region = lookup(name, within)
    except Exception:  # noqa: BLE001 - registry missing or broken: no guess
        return None
    return region.code if region else None


def agency_place(agency: dict) -> Place:
    """The place of an agency row: its region code; else the one region its stored region name or,
    for a government, its own name denotes (鞍山市人民政府 -> 鞍山市); else its province.

    Only an unambiguous name is used: an agency is never put in a region by a guess.
    """
    code = agency.get("region_code")
    province = agency.get("province")
    if not code:
        for name in (agency.get("region_name"), agency.get("name")):
            if not name or (name == agency.get("name") and not _is_government(name)):
                continue
            code = _named_region(name, province)
            if code:
                break
    return place_of(code, province)


def _is_government(name: str) -> bool:
    return name.endswith(("人民政府", "行政公署"))


def region_name(code: str | None) -> str | None:
    """Full display name of a division code (e.g. 辽宁省鞍山市), or None."""
    if not code:
        return None
    try:
        region = get(code)
    except Exception:  # noqa: BLE001
        return None
    return region.full_name if region else None


def child_level(region_code: str | None) -> str:
    """The rollup level below a selected region: provinces -> prefectures -> counties."""
    if not region_code:
        return "province"
    try:
        region = get(region_code)
    except Exception:  # noqa: BLE001
        return "province"
    if region is None:
        return "province"
    if region.level == "province":
        return "county" if region.is_municipality else "prefecture"
    return "county"
