"""The national registry of divisions (county level and above) and their governments' portals.

Loaded once from ``regions/data/`` (see ``nianbao.regions.dataio``); all lookups are in-memory dict hits.

Hierarchy, as used by every grouping in nianbao:

- ``level`` is ``province`` (省级, incl. the four municipalities 北京/天津/上海/重庆),
  ``prefecture`` (地级: 市, 自治州, 地区, 盟) or ``county`` (县级: 区, 县, 县级市, 旗, ...).
- ``parent_code`` of a county is its prefecture's code, or the province's code when the
  county is directly under the province: districts and counties of a municipality, and the
  省直辖县级行政区划 (济源, 仙桃, 海南's direct counties, the 兵团 cities).
- Municipalities: no 市辖区 pseudo-level exists in the registry (the current code table has no
  110100/500200 codes). A municipality's district has ``parent_code`` = the municipality's
  code (110000) and ``prefecture`` = the municipality's name (北京市): the municipality plays
  both the province and the prefecture role, so ``lineage('110101')`` is
  (北京市, 北京市, 东城区) and ``ancestors('110101')`` is [北京市]. Legacy pseudo-level codes
  (110100, 500200, ...) resolve to the municipality.
- A 省直辖 county has ``prefecture`` None: ``lineage('419001')`` is (河南省, None, 济源市).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from nianbao.regions import dataio, names
from nianbao.regions.names import infer_kind as _infer_kind_pure

LEVELS = ("province", "prefecture", "county")
MUNICIPALITIES = ("110000", "120000", "310000", "500000")

ACCESS_METHODS = {
    "direct": "普通请求可直接访问",
    "protocol-switch": "需切换 http/https 协议",
    "ua-mobile": "仅对手机 User-Agent 响应",
    "none": "普通请求被拦截（反爬网关 412/468/521），需用浏览器访问",
    "unknown": "未经核验",
}

MOBILE_USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@dataclass(frozen=True, slots=True)
class Region:
    """One division and its people's government's portal."""

    code: str
    name: str
    level: str  # province | prefecture | county
    parent_code: str | None
    province: str
    prefecture: str | None  # None for provinces and for counties directly under a province
    portal_url: str | None  # the home page as listed; None when no portal is known
    access_method_code: str  # direct | protocol-switch | ua-mobile | none | unknown
    agency: str = ""  # the government's formal name: 榆中县人民政府, 兰州市城关区人民政府
    effective_url: str | None = None  # the URL the probe actually reached
    xxgk_url: str | None = None  # a 政务公开 or policy column (not the annual-report column)
    report_column_url: str | None = None  # a known 政府信息公开年报 column, if any
    portal_name: str | None = None
    checked_at: str | None = None
    in_use_since: str | None = None
    note: str = ""

    @property
    def start_url(self) -> str | None:
        """Where a crawl should start: the URL that answered the probe, else the listed one."""
        return self.effective_url or self.portal_url

    @property
    def short_name(self) -> str:
        return names.short_name(self.name)

    @property
    def is_municipality(self) -> bool:
        return self.code in MUNICIPALITIES

    @property
    def full_name(self) -> str:
        """Province/prefecture/name joined without separators: 甘肃省兰州市榆中县."""
        parts = [self.province]
        if self.prefecture and self.prefecture != self.province and self.level == "county":
            parts.append(self.prefecture)
        if self.name != self.province:
            parts.append(self.name)
        return "".join(parts)


@dataclass(frozen=True, slots=True)
class UncodedPortal:
    """A government portal without a current division code (兵团, 两江新区, 大兴安岭's districts)."""

    name: str
    level: str
    parent_code: str
    agency: str
    portal_url: str
    access_method_code: str
    note: str = ""
    effective_url: str | None = None

    @property
    def start_url(self) -> str:
        return self.effective_url or self.portal_url


class Lineage(NamedTuple):
    """Province / prefecture / county of a code, for grouping; missing levels are None."""

    province: Region | None
    prefecture: Region | None
    county: Region | None


def hints_for(access_method_code: str, portal_url: str | None, effective_url: str | None = None,
              ) -> dict:
    """Crawl hints from a probe result (pure). Keys:

    ``access_method_code``; ``url`` (where to start); ``alternate_url`` (same URL with the other
    scheme, to try when the first fails); ``switch_scheme`` (the other scheme is known or
    likely to be needed); ``user_agent`` (a mobile UA string when only mobile clients are
    served, else None); ``browser`` (an anti-bot gateway answers plain clients with 412/468/521:
    fetch through a real browser and reuse its cookie); ``verified`` (the probe reached it);
    ``message`` (Chinese, for logs).
    """
    code = access_method_code or "unknown"
    url = effective_url or portal_url
    alternate = _switch_scheme(url) if url else None
    if code == "protocol-switch" and portal_url and effective_url and portal_url != effective_url:
        alternate = portal_url
    return {
        "access_method_code": code,
        "url": url,
        "alternate_url": alternate,
        "switch_scheme": code in ("protocol-switch", "unknown"),
        "user_agent": MOBILE_USER_AGENT if code == "ua-mobile" else None,
        "browser": code == "none",
        "verified": code != "unknown",
        "message": ACCESS_METHODS.get(code, ACCESS_METHODS["unknown"]),
    }


def _switch_scheme(url: str) -> str:
    if url.startswith("https://"):
        return "http://" + url[len("https://"):]
    if url.startswith("http://"):
        return "https://" + url[len("http://"):]
    return url


_HOST_RE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//(?:[^@/?#]*@)?([^/:?#]+)")


def host_of(url: str) -> str:
    """Lower-case host without ``www.`` and port (``https://www.Lanzhou.gov.cn:443/`` -> lanzhou.gov.cn)."""
    url = url.strip()
    m = _HOST_RE.match(url if "//" in url else "//" + url)
    host = m.group(1).lower().rstrip(".") if m else ""
    return host[4:] if host.startswith("www.") else host


@dataclass
class Registry:
    """All regions, indexed. Build with ``Registry.load()`` or use the module-level ``registry()``."""

    regions: dict[str, Region]
    uncoded: list[UncodedPortal] = field(default_factory=list)
    _children: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _full: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _short: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _hosts: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _max_name: int = 0

    # --- construction ---------------------------------------------------------------

    @classmethod
    def load(cls, directory: str | os.PathLike | None = None) -> Registry:
        """Load from a data directory (default: ``$NIANBAO_REGIONS_DIR`` or the packaged data)."""
        return cls.from_tables(dataio.load_tables(directory))

    @classmethod
    def from_tables(cls, tables: dict[str, list[dict[str, str]]]) -> Registry:
        codes = {r["code"]: r for r in dataio.normalise_areacodes(tables["areacodes"])}
        portals = {r["code"]: r for r in tables.get("portals", []) if r.get("code")}
        columns = {r["code"]: r for r in tables.get("columns", []) if r.get("code")}
        regions: dict[str, Region] = {}
        for code, row in codes.items():
            level = dataio.LEVEL_FROM_ZH[row["level"]]
            prov_code = code[:2] + "0000"
            pref_code = code[:4] + "00"
            if level == "province":
                parent, prefecture = None, None
            elif level == "prefecture":
                parent, prefecture = prov_code, row["name"]
            elif pref_code in codes and pref_code != prov_code:
                parent, prefecture = pref_code, codes[pref_code]["name"]
            else:
                parent = prov_code
                prefecture = codes[prov_code]["name"] if prov_code in MUNICIPALITIES else None
            portal = portals.get(code, {})
            parent_name = codes[parent]["name"] if parent and parent in codes else None
            regions[code] = Region(
                code=code, name=row["name"], level=level, parent_code=parent,
                province=codes.get(prov_code, row)["name"], prefecture=prefecture,
                portal_url=portal.get("portal_url") or None,
                access_method_code=portal.get("access_method_code") or "unknown",
                agency=names.government_name(row["name"], level, parent_name),
                effective_url=portal.get("effective_url") or None,
                xxgk_url=portal.get("xxgk_url") or None,
                report_column_url=columns.get(code, {}).get("column_url") or None,
                portal_name=portal.get("portal_name") or None,
                checked_at=portal.get("checked_at") or None,
                in_use_since=row.get("in_use_since") or None,
                note=portal.get("note", ""),
            )
        uncoded = [
            UncodedPortal(name=r["name"], level=r.get("level") or "county", parent_code=r.get("parent_code", ""),
                          agency=r.get("portal_name") or r["name"] + "人民政府", portal_url=r["portal_url"],
                          access_method_code=r.get("access_method_code") or "unknown", note=r.get("note", ""),
                          effective_url=r.get("effective_url") or None)
            for r in tables.get("uncoded", []) if r.get("portal_url")
        ]
        reg = cls(regions=regions, uncoded=uncoded)
        reg._index()
        return reg

    def _index(self) -> None:
        def add(index: dict[str, list[str]], key: str, code: str) -> None:
            if key and code not in index.setdefault(key, []):
                index[key].append(code)

        for code, r in self.regions.items():
            if r.parent_code:
                self._children.setdefault(r.parent_code, []).append(code)
            add(self._full, r.name, code)
            add(self._full, names.strip_government(r.agency), code)
            if r.portal_name:
                add(self._full, names.strip_government(r.portal_name), code)
            short = names.short_name(r.name)
            if short != r.name:
                add(self._short, short, code)
            if r.name.endswith("自治州"):
                add(self._short, short + "州", code)  # 临夏州, 甘南州, 延边州
            for url in (r.portal_url, r.effective_url):
                if url:
                    add(self._hosts, host_of(url), code)
        self._max_name = max(len(k) for k in self._full)

    # --- basic access ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.regions)

    def __iter__(self) -> Iterator[Region]:
        return iter(self.regions.values())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.get(code) is not None

    def get(self, code: str | Region | None) -> Region | None:
        """The region of a code. Accepts 6-digit codes, 9/12-digit statistical codes (their
        first six digits), and legacy 市辖区/县 pseudo codes of municipalities (110100 -> 110000)."""
        if code is None:
            return None
        if isinstance(code, Region):
            return code
        code = str(code).strip()
        if len(code) in (9, 12) and code.isdigit():
            code = code[:6]
        region = self.regions.get(code)
        if region is None and len(code) == 6 and code.isdigit():
            prov = code[:2] + "0000"
            if prov in MUNICIPALITIES and code[4:] == "00":
                region = self.regions.get(prov)
        return region

    def __getitem__(self, code: str) -> Region:
        region = self.get(code)
        if region is None:
            raise KeyError(code)
        return region

    def provinces(self) -> list[Region]:
        return [r for r in self.regions.values() if r.level == "province"]

    # --- hierarchy --------------------------------------------------------------------------

    def children(self, code: str | Region, level: str | None = None) -> list[Region]:
        """Direct subordinates (a province's prefectures and its directly administered counties;
        a prefecture's or municipality's counties), by code."""
        region = self.get(code)
        if region is None:
            return []
        kids = [self.regions[c] for c in self._children.get(region.code, [])]
        return [k for k in kids if level is None or k.level == level]

    def descendants(self, code: str | Region, level: str | None = None) -> list[Region]:
        """Everything below a region, in code order, optionally of one level."""
        out: list[Region] = []
        stack = list(reversed(self.children(code)))
        while stack:
            r = stack.pop()
            if level is None or r.level == level:
                out.append(r)
            stack.extend(reversed(self.children(r)))
        return sorted(out, key=lambda r: r.code)

    def ancestors(self, code: str | Region) -> list[Region]:
        """The regions above a code, top-down, without the region itself:
        ``ancestors('620123')`` = [甘肃省, 兰州市]; ``ancestors('110101')`` = [北京市];
        ``ancestors('620000')`` = []; unknown code -> []."""
        region = self.get(code)
        chain: list[Region] = []
        while region is not None and region.parent_code:
            region = self.regions.get(region.parent_code)
            if region is not None:
                chain.append(region)
        return list(reversed(chain))

    def lineage(self, code: str | Region) -> Lineage:
        """(province, prefecture, county) of a code for grouping. A municipality's district gets the
        municipality as its prefecture; a 省直辖 county gets None."""
        region = self.get(code)
        if region is None:
            return Lineage(None, None, None)
        province = self.regions.get(region.code[:2] + "0000")
        if region.level == "province":
            return Lineage(region, None, None)
        if region.level == "prefecture":
            return Lineage(province, region, None)
        parent = self.regions.get(region.parent_code or "")
        if parent is not None and parent.level == "province":
            parent = parent if parent.is_municipality else None
        return Lineage(province, parent, region)

    def is_within(self, code: str | Region, ancestor: str | Region) -> bool:
        """True when ``code`` is ``ancestor`` or lies below it."""
        region, anc = self.get(code), self.get(ancestor)
        if region is None or anc is None:
            return False
        return region.code == anc.code or anc in self.ancestors(region)

    def _related(self, a: Region, b: Region) -> bool:
        return self.is_within(a, b) or self.is_within(b, a)

    # --- names ------------------------------------------------------------------------------

    def find(self, name: str, within: str | Region | None = None) -> list[Region]:
        """All regions a name can denote, best matches first: the exact name (甘肃省, 兰州市,
        兰州市城关区, 济源示范区), then the short name (甘肃, 兰州, 临夏, 新疆), then a path
        (甘肃省兰州市榆中县). A trailing 人民政府/行政公署 is ignored; ``within`` keeps only
        regions at or below that region. A 6-digit code is accepted too."""
        text = names.strip_government(name)
        if not text:
            return []
        scope = self.get(within) if within is not None else None
        if text.isdigit():
            region = self.get(text)
            hits = [region] if region else []
        else:
            codes = self._full.get(text) or self._short.get(text) or []
            hits = [self.regions[c] for c in codes]
            if not hits:
                chain, used = self._parse_chain(text, scope)
                hits = [chain[-1]] if chain and used == len(text) else []
        if scope is not None:
            hits = [h for h in hits if self.is_within(h, scope)]
        return hits

    def lookup(self, name: str, within: str | Region | None = None) -> Region | None:
        """The one region a name or code denotes, or None when unknown or ambiguous."""
        hits = self.find(name, within)
        return hits[0] if len(hits) == 1 else None

    def resolve(self, ref: str | Region | None, within: str | Region | None = None) -> Region | None:
        """A region from a code, a name or a Region."""
        if ref is None or isinstance(ref, Region):
            return ref
        return self.get(ref) or self.lookup(ref, within)

    def is_region_name(self, name: str) -> bool:
        text = names.clean(name)
        return text in self._full or text in self._short

    def _parse_chain(self, text: str, scope: Region | None) -> tuple[list[Region], int]:
        """The regions named at the start of ``text`` (兰州市城关区教育局 -> [兰州市, 城关区]) and
        how many characters they cover. Only full names count (兰州市, not 兰州); each next name
        must lie below the previous one; an ambiguous name (城关区) is settled by ``scope``."""
        chain: list[Region] = []
        pos = 0
        while pos < len(text):
            step = None
            for length in range(min(self._max_name, len(text) - pos), 1, -1):
                codes = self._full.get(text[pos:pos + length])
                if not codes:
                    continue
                cands = [self.regions[c] for c in codes]
                if chain:
                    cands = [c for c in cands if self.is_within(c, chain[-1]) and c.code != chain[-1].code]
                pick = self._choose(cands, scope, length)
                if pick is not None:
                    step = (pick, length)
                    break
            if step is None:
                break
            chain.append(step[0])
            pos += step[1]
        return chain, pos

    def _choose(self, cands: list[Region], scope: Region | None, length: int) -> Region | None:
        if scope is not None:
            related = [c for c in cands if self._related(c, scope)]
            if len(related) == 1:
                return related[0]
            if related:
                return None
        # Outside the scope a name must be unique and not a two-character word (城区, 矿区).
        if len(cands) == 1 and (length > 2 or scope is None):
            return cands[0]
        return None

    # --- portals ---------------------------------------------------------------------------

    def by_host(self, url_or_host: str) -> list[Region]:
        """Regions whose listed or effective portal is on this host."""
        host = host_of(url_or_host) if "/" in url_or_host or ":" in url_or_host else url_or_host.lower()
        host = host[4:] if host.startswith("www.") else host
        return [self.regions[c] for c in self._hosts.get(host, [])]

    def crawl_hints(self, region: str | Region | UncodedPortal) -> dict:
        """How to reach a government's portal; see ``hints_for`` for the keys. ``region`` is a
        Region, an UncodedPortal, a code, a name, or a portal URL (matched by host). Unknown
        regions get the hints of an unverified site."""
        if isinstance(region, UncodedPortal):
            return hints_for(region.access_method_code, region.portal_url, region.effective_url)
        target: Region | None = None
        if isinstance(region, str) and region.startswith(("http://", "https://")):
            hosts = self.by_host(region)
            if hosts:
                target = hosts[0]
            else:
                return hints_for("unknown", region)
        else:
            target = self.resolve(region)
        if target is None:
            return hints_for("unknown", None)
        hints = hints_for(target.access_method_code, target.portal_url, target.effective_url)
        hints["report_column_url"] = target.report_column_url
        hints["xxgk_url"] = target.xxgk_url
        return hints

    # --- agencies ---------------------------------------------------------------------------

    def infer_kind(self, agency_name: str) -> str:
        """``'government'``, ``'department'`` or ``'township'`` (see ``nianbao.regions.names.infer_kind``);
        a bare division name (榆中县, 兰州) counts as its government."""
        return _infer_kind_pure(agency_name, self.is_region_name)

    def regions_in_name(self, agency_name: str, scope: str | Region | None = None) -> list[Region]:
        """The divisions named at the start of an agency name, top-down, the most specific last
        (甘肃省兰州市榆中县教育局 -> [甘肃省, 兰州市, 榆中县]; 兰州市城关区教育局 -> [城关区],
        as 兰州市城关区 is itself a known name)."""
        chain, _ = self._parse_chain(names.normalise_agency(agency_name), self.resolve(scope))
        return chain

    def attribute(self, agency_name: str, portal_region: str | Region | None) -> str | None:
        """The division code an agency found on a portal belongs to.

        The divisions named in the agency's name win (兰州市城关区教育局 -> 620102; 榆中县教育局
        on the 兰州 portal -> 620123; 甘肃省教育厅 -> 620000); an ambiguous name (城关区) is
        settled by the portal's region. An agency naming no division (城关镇人民政府,
        县教育局, 县人民政府办公室) gets the portal's region: a county's departments and townships
        found on its portal get the county's code. None when neither gives a region."""
        portal = self.resolve(portal_region)
        chain = self.regions_in_name(agency_name, portal)
        if chain:
            return chain[-1].code
        return portal.code if portal else None


@functools.lru_cache(maxsize=1)
def registry() -> Registry:
    """The default registry, loaded once per process."""
    return Registry.load()


def reload() -> Registry:
    """Forget the cached default registry (after ``nianbao sites update --write``) and load it again."""
    registry.cache_clear()
    return registry()


# Module-level conveniences over the default registry ------------------------------------------

def get(code: str) -> Region | None:
    return registry().get(code)


def find(name: str, within: str | Region | None = None) -> list[Region]:
    return registry().find(name, within)


def lookup(name: str, within: str | Region | None = None) -> Region | None:
    return registry().lookup(name, within)


def children(code: str | Region, level: str | None = None) -> list[Region]:
    return registry().children(code, level)


def ancestors(code: str | Region) -> list[Region]:
    """Regions above ``code``, top-down, excluding itself (see ``Registry.ancestors``)."""
    return registry().ancestors(code)


def lineage(code: str | Region) -> Lineage:
    """(province, prefecture, county) of ``code`` (see ``Registry.lineage``)."""
    return registry().lineage(code)


def crawl_hints(region: str | Region | UncodedPortal) -> dict:
    return registry().crawl_hints(region)


def infer_kind(agency_name: str) -> str:
    return registry().infer_kind(agency_name)


def attribute(agency_name: str, portal_region: str | Region | None) -> str | None:
    return registry().attribute(agency_name, portal_region)


def iter_levels(regions: Iterable[Region], levels: Iterable[str]) -> list[Region]:
    wanted = set(levels)
    return [r for r in regions if r.level in wanted]
