"""List styles (sandbox/styles.py) and zoo families inside the main network: each served its way, as the truth says."""

from __future__ import annotations

import json
import re
from posixpath import normpath
from urllib.parse import urljoin

import pytest

from nianbao.sandbox import styles, zoo
from nianbao.sandbox.demo import demo_families
from nianbao.sandbox.network import Network, all_families, generate

SEED = 917
_ITEM = re.compile(r'<span class="date">\d')


@pytest.fixture(scope="module")
def net() -> Network:
    return generate(SEED, len(all_families()), families=all_families())


def _get(net: Network, url: str) -> tuple[int, str]:
    r = net.respond("GET", url)
    assert r is not None
    return r.status, r.body.decode("utf-8", "replace")


def _listed(net: Network, host: str, col_path: str, fam: str | None) -> set[str]:
    """Every item URL a client that runs the family's mechanism would see in the column."""
    base = f"http://{host}{col_path}"
    status, text = _get(net, base + "index.html")
    assert status == 200
    out: set[str] = set()
    if fam == "jcms_unitbuild":
        island = re.search(r'<script type="text/xml"><datastore>(.*?)</datastore></script>', text, re.S)
        assert island and "<recordset>" in island.group(1)
        assert '<ul class="list" id=' in text and not _ITEM.search(text.split("<script")[0])
        text = island.group(1)
    elif fam in ("gkml_conf", "lazy_scroll", "hash_spa"):
        assert not _ITEM.search(text)  # the shell lists nothing by itself
        api = {"gkml_conf": "/gkmlpt/api/all/", "lazy_scroll": "/zoo/lazy/", "hash_spa": "/zoo/spa/"}[fam]
        chnl = re.search(r'cat:(\d+)|/zoo/lazy/(\d+)|#/list/(\d+)', text)
        assert chnl
        n, pages = 1, 1
        while n <= pages:
            status, body = _get(net, f"http://{host}{api}{next(g for g in chnl.groups() if g)}.json?page={n}")
            assert status == 200
            d = json.loads(body)
            pages = d["pages"]
            out |= {it["url"] for it in d["items"]}
            n += 1
        return out
    elif fam == "jsonp_list":
        chnl = re.search(r'"/zoo/"\+"jsonp/"\+(\d+)', text)
        assert chnl and not _ITEM.search(text)
        status, body = _get(net, f"http://{host}/zoo/jsonp/{chnl.group(1)}.js?page=1&callback=showList")
        assert status == 200 and body.startswith("showList(")
        return {it["url"] for it in json.loads(body[len("showList("):-2])["items"]}
    elif fam == "docwrite":
        assert not re.search(r'href="[^"]*content_', text)
        rows = json.loads("[" + re.search(r"var docs=\[(.*)\];", text).group(1).replace("<\\/", "</") + "]")
        return {urljoin(base + "index.html", b + name) for b, name, _, _ in rows}
    elif fam in ("iframe_list", "frameset"):
        assert not _ITEM.search(text) and ("<iframe" in text or "<frameset" in text)
        status, text = _get(net, base + "list_frame.html")
        assert status == 200
    elif fam == "jsp_onclick":
        count = len(re.findall(r"goPage\((\d+)\)", text)) + 1
        texts = [text] + [_get(net, f"{base}list.jsp?pageNo={i}")[1] for i in range(2, count + 1)]
        assert _get(net, base + "index_1.html")[0] == 404
        for t in texts:
            out |= set(re.findall(r"openDoc\('([^']+)'\)", t)) - {"'+u+'"}
        return {u if u.startswith("http") else f"http://{host}{u}" for u in out}
    elif fam == "select_jump":
        assert "下一页" not in text and "<select" in text
        for v in re.findall(r'<option value="(index_\d+\.html)"', text):
            text += _get(net, base + v)[1]
    hrefs = re.findall(r'<a href="([^"]+)"[^>]*title=', text)
    for h in hrefs:
        if h.startswith("http"):
            out.add(h)
        elif h.startswith("/"):
            out.add(f"http://{host}{h}")
        else:
            out.add(f"http://{host}{normpath(col_path + h)}")
    return out


@pytest.mark.slow
def test_every_family_serves_its_truth(net: Network) -> None:
    truth = net.ground_truth()
    assert len(set(all_families())) >= 15
    assert {s.get("family", s["template"]) for s in truth["sites"]} == set(all_families())
    report_urls = {r["url"] for r in truth["reports"]}
    decoy_urls = {d["url"] for d in truth["decoys"]}
    for p in net.plans:
        main = p.columns.get((p.host, p.main_column))
        assert main is not None, p.family
        if p.family is None:  # the six templates keep their own tests
            assert net.respond("GET", f"http://{p.host}{p.main_column}index.html").status == 200
            continue
        listed = _listed(net, p.host, p.main_column, p.family)
        expected = {f"http://{h}{path}" for _, h, path, _ in net.entries(p, main)}
        assert listed == expected, (p.family or p.template)
        assert listed <= report_urls | decoy_urls
        # every listed item is served
        for u in sorted(listed)[:3]:
            assert net.respond("GET", u).status == 200


def test_zoo_portals_in_the_network_serve_their_truth(net: Network) -> None:
    truth = net.ground_truth()
    zoo_sites = [s for s in truth["sites"] if s.get("family") in zoo.FAMILIES]
    assert {s["family"] for s in zoo_sites} == set(zoo.FAMILIES)
    assert net.zoo is not None and {z.host for z in net.zoo.portals} == {s["host"] for s in zoo_sites}
    hosts = {h for s in truth["sites"] for h in [s["host"]]}
    assert len(hosts) == len(truth["sites"])  # no county twice
    for s in zoo_sites:
        assert f"{s['agency']},{s['url']},county" in net.sites_csv()
        mine = [r for r in truth["reports"] if r["county"] == s["agency"]]
        assert len(mine) == len(zoo.YEARS)
        for r in mine:
            assert net.respond("GET", r["url"]).status == 200
    assert net.respond("GET", "http://www.example.com/") is None


def test_unknown_family_is_refused() -> None:
    with pytest.raises(ValueError):
        generate(1, 3, families=["nope"])
    assert set(zoo.FAMILIES) <= set(all_families()) and set(styles.STYLES) <= set(all_families())
    assert len(all_families()) == len(set(all_families()))  # no name in two kinds


def test_the_demo_draws_from_every_family_and_keeps_the_rest_as_drawn() -> None:
    fams = demo_families(30)
    net, default = generate(2025, 30, families=fams), generate(2025, 30)
    kinds = {s.get("family", s["template"]) for s in net.ground_truth()["sites"]}
    assert kinds == set(all_families())
    kept = [i for i, f in enumerate(fams) if f is None]
    assert len(kept) >= 6 and 16 in kept
    by_name = {p.government: p for p in net.plans}
    for i in kept:
        d = default.plans[i]
        p = by_name[d.government]
        assert (p.template, p.charset, [r.url for r in p.reports]) == (d.template, d.charset, [r.url for r in d.reports])


def test_default_network_unchanged() -> None:
    a, b = generate(5, 8), generate(5, 8, families=None)
    assert [p.template for p in a.plans] == [p.template for p in b.plans]
    assert all(p.family is None for p in a.plans) and a.zoo is None
    assert "family" not in json.dumps(a.ground_truth()["sites"])
