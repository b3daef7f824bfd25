"""Whose report is it? Attribute a report to a listed agency by its title and text (pure).

Several agencies share a county portal (the county government, its departments and
townships), so the site a document was found on is only a hint.  The issuer named in the
title wins; the parsers' reading of the agency (title, signature, meta) comes next; the
agency whose URL holds the document is the fallback.  A report whose issuer is not in the
list keeps its issuer as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

from crawler.sites import Site

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


def attribute(
    *,
    title: str | None,
    parsed_agency: str | None,
    candidates: Iterable[Site],
    hint: Site | None = None,
) -> tuple[str | None, Site | None]:
    """Return (agency name, the listed site or None).

    Order: the issuer in the title (matched against the listed ``candidates``, else as
    written); without one, the parsed agency matched against the list; a listed name
    contained in the title (longest first); the parsed agency as written; the hint.
    """
    cands = list(candidates)
    title_issuer = issuer_in_title(title)
    # the title names the issuer: it wins (matched to a listed agency, else as written)
    for name in (title_issuer, None if len(title_issuer) >= 2 else parsed_agency):
        if not name:
            continue
        best = max(cands, key=lambda s: _matches(name, s), default=None)
        if best is not None and _matches(name, best):
            return best.agency, best
        if name == title_issuer and len(name) >= 2:
            return name, None
    t = _norm(title)
    inside = [s for s in cands if _norm(s.agency) and _norm(s.agency) in t]
    if inside:
        best = max(inside, key=lambda s: len(_norm(s.agency)))
        return best.agency, best
    if parsed_agency:
        return _norm(parsed_agency), None
    if hint is not None:
        return hint.agency, hint
    return None, None


def site_for_url(url: str, sites: Iterable[Site]) -> Site | None:
    """The listed site whose URL is the longest prefix of ``url`` (same host), if any."""
    parts = urlsplit(url)
    best, best_len = None, -1
    for s in sites:
        sp = urlsplit(s.url)
        if (sp.hostname or "").lower() != (parts.hostname or "").lower():
            continue
        base = sp.path.rsplit("/", 1)[0] + "/" if not sp.path.endswith("/") else sp.path
        if parts.path.startswith(base) and len(base) > best_len:
            best, best_len = s, len(base)
    return best
