"""Whose report is it? Attribute a report to a listed agency by its title and text (pure).

Several agencies share a county portal (the county government, its departments and
townships), so the site a document was found on is only a hint.  The issuer named in the
title wins; the parsers' reading of the agency (title, signature, meta) comes next; the
agency whose URL holds the document is the fallback.  A report whose issuer is not in the
list keeps its issuer as written.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from nianbao.intake.sites import Site
from nianbao.parsers.metadata import plausible_agency_name
from nianbao.regions.names import name_kind
from nianbao.regions.registry import registry
from nianbao.rules.deadlines import publisher_kind

log = logging.getLogger(__name__)

_SUFFIXES = ("人民政府办公室", "人民政府办公厅", "人民政府", "政府", "管理委员会", "管委会", "办事处")
_YEAR_SPLIT = re.compile(r"(?:19|20)\d{2}\s*年")


def _norm(s: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or ""))


def short_name(name: str) -> str:
    """鞍山市立山区人民政府 -> 鞍山市立山区; 城关镇人民政府 -> 城关镇 (departments keep their name)."""
    n = _norm(name)
    for suf in ("人民政府", "政府", "管理委员会", "管委会", "办事处"):
        if n.endswith(suf) and len(n) > len(suf) + 1:
            return n[: -len(suf)]
    return n


def issuer_in_title(title: str | None) -> str:
    """The words before the year in a report title: 某县财政局2024年… -> 某县财政局."""
    t = _norm(title)
    m = _YEAR_SPLIT.search(t)
    head = t[: m.start()] if m else ""
    head = re.sub(r"^[《“\"']+", "", head)
    return head.rstrip("（(")


def _matches(name: str, site: Site) -> int:
    """How well ``name`` names ``site``'s agency: 3 exact, 2 short forms equal, 0 otherwise."""
    a, b = _norm(name), _norm(site.agency)
    if not a:
        return 0
    if a == b:
        return 3
    if short_name(a) == short_name(b):
        # 某县 vs 某县人民政府; but 某县人民政府办公室 is a different body from 某县人民政府
        if any(x.endswith(("办公室", "办公厅")) for x in (a, b)) and not (
            a.endswith(("办公室", "办公厅")) and b.endswith(("办公室", "办公厅"))
        ):
            return 0
        return 2
    return 0


class SiteIndex:
    """The listed sites indexed by normalised name, short name and host.

    Attribution runs once per report against the whole site list (3,205 county portals and
    their departments nationally): without an index that was a scan of every site per report,
    a fifth of the crawler's CPU on a national list.  Lookups give what a scan in list order
    gives (the first site among equals).
    """

    _cache: list[tuple[list[Site] | tuple[Site, ...], int, SiteIndex]] = []

    def __init__(self, sites: Iterable[Site]):
        self.sites = list(sites)
        self.by_norm: dict[str, list[int]] = {}
        self.by_short: dict[str, list[int]] = {}
        self.by_host: dict[str, list[tuple[str, int]]] = {}
        self.longest = 0
        for i, site in enumerate(self.sites):
            n = _norm(site.agency)
            if n:
                self.by_norm.setdefault(n, []).append(i)
                self.by_short.setdefault(short_name(n), []).append(i)
                self.longest = max(self.longest, len(n))
            sp = urlsplit(site.url)
            base = sp.path.rsplit("/", 1)[0] + "/" if not sp.path.endswith("/") else sp.path
            self.by_host.setdefault((sp.hostname or "").lower(), []).append((base, i))

    @classmethod
    def of(cls, sites: SiteIndex | Iterable[Site]) -> SiteIndex:
        """An index of ``sites``; the same list object (unchanged in length) reuses its index."""
        if isinstance(sites, SiteIndex):
            return sites
        if isinstance(sites, (list, tuple)):
            for ref, n, idx in cls._cache:
                if ref is sites and n == len(sites):
                    return idx
            idx = cls(sites)
            cls._cache = [(sites, len(sites), idx), *cls._cache[:3]]
            return idx
        return cls(sites)

    def best_match(self, name: str) -> Site | None:
        """The first site that ``name`` names exactly, else the first whose short form it shares."""
        a = _norm(name)
        if not a:
            return None
        exact = self.by_norm.get(a)
        if exact:
            return self.sites[exact[0]]
        for i in self.by_short.get(short_name(a), ()):
            if _matches(name, self.sites[i]):
                return self.sites[i]
        return None

    def named_inside(self, text: str) -> Site | None:
        """The listed site with the longest name contained in ``text`` (normalised), if any."""
        t = _norm(text)
        best_i, best_len = -1, 0
        for start in range(len(t)):
            for end in range(start + 1, min(len(t), start + self.longest) + 1):
                found = self.by_norm.get(t[start:end])
                if found and (end - start > best_len or (end - start == best_len and found[0] < best_i)):
                    best_i, best_len = found[0], end - start
        return self.sites[best_i] if best_i >= 0 else None

    def for_url(self, url: str) -> Site | None:
        """The listed site whose URL is the longest prefix of ``url`` (same host), if any."""
        parts = urlsplit(url)
        best, best_len = None, -1
        for base, i in self.by_host.get((parts.hostname or "").lower(), ()):
            if parts.path.startswith(base) and len(base) > best_len:
                best, best_len = self.sites[i], len(base)
        return best


def attribute(
    *,
    title: str | None,
    parsed_agency: str | None,
    candidates: SiteIndex | Iterable[Site],
    hint: Site | None = None,
) -> tuple[str | None, Site | None]:
    """Return (agency name, the listed site or None).

    Order: the issuer in the title (matched against the listed ``candidates``, else as
    written); without one, the parsed agency matched against the list; a listed name
    contained in the title (longest first); the parsed agency as written; the hint.  A name
    taken "as written" must be plausible (:func:`~nianbao.parsers.metadata.plausible_agency_name`).
    """
    index = SiteIndex.of(candidates)
    title_issuer = issuer_in_title(title)
    # the title names the issuer: it wins (matched to a listed agency, else as written)
    for name in (title_issuer, None if len(title_issuer) >= 2 else parsed_agency):
        if not name:
            continue
        best = index.best_match(name)
        if best is not None:
            return best.agency, best
        if name == title_issuer and len(name) >= 2 and plausible_agency_name(name):
            return name, None
    inside = index.named_inside(title or "")
    if inside is not None:
        return inside.agency, inside
    if parsed_agency and plausible_agency_name(parsed_agency):
        return _norm(parsed_agency), None
    if hint is not None:
        return hint.agency, hint
    return None, None


def site_for_url(url: str, sites: SiteIndex | Iterable[Site]) -> Site | None:
    """The listed site whose URL is the longest prefix of ``url`` (same host), if any."""
    return SiteIndex.of(sites).for_url(url)


# --- where an agency sits: region, kind, parent ------------------------------------------------

GOVERNMENT_LEVELS = {"province": "province", "prefecture": "city", "county": "county"}


@dataclass(frozen=True)
class Placement:
    """What the store records about a report's agency: its kind, level, division and parent.

    ``region`` is a 6-digit division code when one is known (else the site list's region as
    written, or None); ``prefecture``/``county`` are names from the registry's lineage (the
    store derives the province from the code); ``parent`` is the name of the government the
    agency belongs to.
    """

    name: str
    kind: str | None = None
    level: str | None = None
    region: str | None = None
    parent: str | None = None
    prefecture: str | None = None
    county: str | None = None


def _load_registry():
    try:
        return registry()
    except Exception as exc:  # noqa: BLE001 - no registry data: agencies keep the site list's facts only
        log.warning("行政区划登记表无法加载，机构地区仅取自站点列表：%s", exc)
        return None


class Places:
    """Place agencies found on portals in the division registry (built once per crawl).

    A county's departments and townships found on its portal get the county's code, their own
    kind (from their names) and the county government as parent, whether or not they are in the
    site list; the divisions named in an agency's name win over the portal's (榆中县教育局 found
    on the 兰州 portal belongs to 榆中县).
    """

    def __init__(self, sites: Iterable[Site], registry: Any = None, *, load_registry: bool = True):
        self.registry = registry if registry is not None or not load_registry else _load_registry()
        self._governments: dict[str, str] = {}  # division code -> the listed government's name
        self._site_codes: dict[Site, str | None] = {}
        for s in sites:
            code = self._code_of(s.region)
            self._site_codes[s] = code
            if code and self._kind(s.agency, s.level) == "government":
                self._governments.setdefault(code, s.agency)

    # --- helpers -------------------------------------------------------------------------

    def _code_of(self, ref: str | None) -> str | None:
        """The division code of a site list's region (a code or a name), if the registry knows it."""
        if not ref:
            return None
        ref = ref.strip()
        if self.registry is None:
            return ref if re.fullmatch(r"\d{6}", ref) else None
        region = self.registry.resolve(ref)
        return region.code if region is not None else (ref if re.fullmatch(r"\d{6}", ref) else None)

    def _kind(self, name: str, level: str | None) -> str | None:
        if level and (kind := publisher_kind(None, level)):
            return kind
        return name_kind(name, self.registry.is_region_name if self.registry is not None else None)

    def government_of(self, code: str | None) -> str | None:
        """The name of a division's government: the site list's, else the registry's formal name."""
        if not code:
            return None
        if code in self._governments:
            return self._governments[code]
        region = self.registry.get(code) if self.registry is not None else None
        return region.agency if region is not None else None

    def portal_code(self, hint: Site | None, portal_sites: Iterable[Site], url: str | None = None) -> str | None:
        """The division of the portal a document was found on: the hinted site's, the portal's
        (when its listed agencies agree), else the registry's portal on that host."""
        if hint is not None and (code := self._site_codes.get(hint) or self._code_of(hint.region)):
            return code
        codes = {self._site_codes.get(s) or self._code_of(s.region) for s in portal_sites} - {None}
        if len(codes) == 1:
            return codes.pop()
        if url and self.registry is not None:
            hosts = self.registry.by_host(url)
            if len(hosts) == 1:
                return hosts[0].code
        return None

    # --- the answer ----------------------------------------------------------------------

    def place(
        self,
        name: str,
        *,
        site: Site | None = None,
        hint: Site | None = None,
        portal_sites: Iterable[Site] = (),
        url: str | None = None,
    ) -> Placement:
        """Where the agency ``name`` sits; ``site`` is its site-list row when it is listed."""
        kind = self._kind(name, site.level if site else None)
        portal = self.portal_code(hint, portal_sites, url)
        if site is not None and site.region:
            code = self._site_codes.get(site) or self._code_of(site.region)
            region = code or site.region
        else:
            code = None
            if self.registry is not None:
                try:
                    code = self.registry.attribute(name, portal)
                except Exception as exc:  # noqa: BLE001 - a registry bug must not lose the report
                    log.warning("机构 %s 无法归属行政区划：%s", name, exc)
            if code is None and kind in ("department", "township"):
                code = portal  # a code the registry does not know: a body found on a county's portal is the county's
            region = code
        reg_region = self.registry.get(code) if (code and self.registry is not None) else None
        prefecture = county = None
        if reg_region is not None:
            lineage = self.registry.lineage(reg_region)
            prefecture = lineage.prefecture.name if lineage.prefecture else None
            county = lineage.county.name if lineage.county else None
        if site is not None and site.level:
            level = site.level
        elif kind in ("department", "township"):
            level = kind
        elif kind == "government" and reg_region is not None:
            level = GOVERNMENT_LEVELS.get(reg_region.level)
        else:
            level = None
        if site is not None and site.parent:
            parent = site.parent
        elif kind in ("department", "township"):
            parent = self.government_of(code) or (hint.agency if hint is not None else None)
        elif kind == "government" and reg_region is not None:
            parent = self.government_of(reg_region.parent_code)
        else:
            parent = hint.agency if (hint is not None and site is None) else None
        if parent is not None and _norm(parent) == _norm(name):
            parent = None
        return Placement(name, kind, level, region, parent, prefecture, county)
