"""Attribution through the site index gives what a scan of the whole list in order gives."""

from __future__ import annotations

import random

import pytest

from nianbao.intake.attribution import (
    SiteIndex,
    _matches,
    _norm,
    attribute,
    issuer_in_title,
    short_name,
    site_for_url,
)
from nianbao.intake.sites import Site, parse_sites
from nianbao.sandbox.network import generate


def scan_attribute(title, parsed_agency, cands, hint=None):
    """The reference: every listed site scored in list order (what attribute() did before the index)."""
    title_issuer = issuer_in_title(title)
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


@pytest.fixture(scope="module")
def listed() -> list[Site]:
    net = generate(3, 40)
    sites, problems = parse_sites(net.sites_csv(departments=True))
    assert not problems and len(sites) > 200
    return sites


def _titles(sites: list[Site], rng: random.Random) -> list[tuple[str | None, str | None]]:
    out: list[tuple[str | None, str | None]] = [(None, None), ("", "某某局"), ("关于印发年报的通知", None)]
    for s in rng.sample(sites, 120):
        name = s.agency
        forms = [name, short_name(name), name + "办公室", name.replace("人民政府", "政府"), f"《{name}"]
        for form in forms:
            y = rng.choice(["2023年", "2024 年", ""])
            out.append((f"{form}{y}政府信息公开工作年度报告", None))
            out.append((f"政府信息公开工作年度报告（{form}）", form if rng.random() < 0.5 else None))
    return out


def test_index_attributes_like_a_scan_of_the_list(listed):
    rng = random.Random(7)
    index = SiteIndex(listed)
    cases = _titles(listed, rng)
    attributed = 0
    for title, parsed in cases:
        got = attribute(title=title, parsed_agency=parsed, candidates=index, hint=listed[0])
        assert got == scan_attribute(title, parsed, listed, hint=listed[0]), (title, parsed)
        attributed += got[1] is not None and got[1] is not listed[0]
    assert attributed > 300  # the cases do exercise the matches, not only the fallbacks


def test_index_finds_the_site_of_a_url_like_a_scan(listed):
    def scan(url):
        from urllib.parse import urlsplit

        parts, best, best_len = urlsplit(url), None, -1
        for s in listed:
            sp = urlsplit(s.url)
            if (sp.hostname or "").lower() != (parts.hostname or "").lower():
                continue
            base = sp.path.rsplit("/", 1)[0] + "/" if not sp.path.endswith("/") else sp.path
            if parts.path.startswith(base) and len(base) > best_len:
                best, best_len = s, len(base)
        return best

    urls = [s.url.rstrip("/") + "/202401/t20240120_1.html" for s in listed] + [
        s.url.split("/", 3)[0] + "//" + s.host.upper() + "/other/x.html" for s in listed[:50]
    ] + ["http://nowhere.example/a.html"]
    found = 0
    for url in urls:
        got = site_for_url(url, listed)
        assert got == scan(url), url
        found += got is not None
    assert found >= len(listed)


def test_the_same_list_reuses_its_index(listed):
    assert SiteIndex.of(listed) is SiteIndex.of(listed)
    copy = list(listed)
    assert SiteIndex.of(copy) is not SiteIndex.of(listed)
