"""The zoo's portals serve every page their ground truth names, and the truth is consistent."""

from __future__ import annotations

from nianbao.parsers import read
from nianbao.sandbox.zoo import FAMILIES, Zoo


def test_every_family_serves_its_reports_and_decoys() -> None:
    zoo = Zoo(seed=3, per_family=1)
    truth = zoo.ground_truth()
    assert {s["template"] for s in truth["sites"]} == set(FAMILIES)
    assert len(truth["reports"]) == 6 * len(FAMILIES)
    for r in truth["reports"]:
        resp = zoo.respond("GET", r["url"])
        assert resp is not None and resp.status == 200, r["url"]
        report = read(resp.body, r["url"], url=r["url"], content_type="text/html")
        assert report.is_report and report.year == r["year"] and str(report.published) == r["published"]
    for d in truth["decoys"]:
        resp = zoo.respond("GET", d["url"])
        assert resp is not None and resp.status == 200
        assert not read(resp.body, d["url"], url=d["url"], content_type="text/html").is_report
    assert zoo.respond("GET", "http://www.example.com/") is None  # the offline internet
