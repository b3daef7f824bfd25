"""Scores and rankings: the pure formula, and the region summary recomputed from its XLSX."""

from __future__ import annotations

import io
import re
import warnings
from collections import Counter

import openpyxl
import pytest

from nianbao.sandbox import sample
from nianbao.storage import users
from nianbao.storage.store import Store
from nianbao.workbench import scores as sc

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
from starlette.testclient import TestClient  # noqa: E402

from nianbao.workbench.app import create_app  # noqa: E402
from nianbao.workbench.views.scores import summary_workbook  # noqa: E402

W = sc.DEFAULT_WEIGHTS


def test_fractions_and_combine():
    clean = sc.AgencyYear(1, "甲", "county", "ontime", 0, Counter(), has_previous=True)
    assert sc.combine(sc.fractions(clean), W) == 100.0
    bad = sc.AgencyYear(2, "乙", "county", "late", 10, Counter({"BALANCE_MISMATCH": 2, "NARRATIVE_MISMATCH": 1,
                                                                "BLANK_CELLS": 5}))  # fmt: skip
    fr = sc.fractions(bad)
    assert fr == {"timeliness": 0.5, "completeness": 1.0, "arithmetic": 0.5, "prose": 0.5, "statements": 1.0,
                  "carry_over": None}  # fmt: skip
    # carry-over not scored (no previous report): 100 × (25·.5 + 20 + 25·.5 + 10·.5 + 10) / 90
    assert sc.combine(fr, W) == round(100 * (12.5 + 20 + 12.5 + 5 + 10) / 90, 1)
    assert sc.combine(sc.fractions(sc.AgencyYear(3, "丙", "county", "missing")), W) == 0.0
    very_late = sc.fractions(sc.AgencyYear(4, "丁", "county", "late", 45))
    assert very_late["timeliness"] == 0.0
    assert sc.fractions(sc.AgencyYear(5, "戊", "county", "unknown"))["timeliness"] is None


def test_rank_within_level_with_ties():
    rows = [sc.AgencyYear(i, n, lvl, "ontime", 0, Counter(r)) for i, (n, lvl, r) in enumerate([
        ("甲", "county", {}), ("乙", "county", {"BALANCE_MISMATCH": 1}), ("丙", "county", {}),
        ("丁", "county", {"MISSING_FEE_STATEMENT": 1}), ("局", "department", {"BALANCE_MISMATCH": 1}),
    ])]  # fmt: skip
    ranked = {s.name: s.rank for s in sc.score_all(rows, W)}
    assert ranked["甲"] == ranked["丙"] == 1 and ranked["丁"] == 3 and ranked["乙"] == 4  # 10×0.5 < 25×0.25
    assert ranked["局"] == 1  # departments rank among departments


def test_weights_from_settings_text():
    w = sc.parse_weights("timeliness=50, carry_over=0")
    assert w["timeliness"] == 50 and w["carry_over"] == 0 and w["arithmetic"] == W["arithmetic"]
    with pytest.raises(ValueError):
        sc.parse_weights("speed=3")
    with pytest.raises(ValueError):
        sc.parse_weights("timeliness=-1")


@pytest.fixture()
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("NIANBAO_SCORE_WEIGHTS", "timeliness=40,arithmetic=30")
    path = tmp_path / "s.db"
    with Store(path) as store:
        sample.build(store)
        users.add_user(store, "bob", "secret-pass-2", "readonly")
    app = create_app(path)
    c = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "bob", "password": "secret-pass-2", "csrf_token": token})
    yield c
    app.state.store.close()


def test_scores_recomputed_from_the_exported_xlsx(client):
    page = client.get("/scores?region=210300&year=2023").text
    assert "发布及时性 40" in page and 'id="score-table"' in page and "立山区" in page
    resp = client.get("/scores.xlsx?region=210300&year=2023")
    ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    weights = dict(kv.split("=") for kv in rows[3][1:] if kv)
    weights = {k: float(v) for k, v in weights.items()}
    assert weights["timeliness"] == 40 and weights["arithmetic"] == 30 and weights["prose"] == W["prose"]
    header = rows[5]
    data = [dict(zip(header, r, strict=True)) for r in rows[6:] if r[2]]
    assert len(data) >= 5
    comp_cols = [f"{v}得分率(%)" for v in sc.COMPONENTS.values()]
    for row in data:
        used = [(weights[k], row[c]) for k, c in zip(sc.COMPONENTS, comp_cols, strict=True) if row[c] is not None]
        expected = round(sum(w * v for w, v in used) / sum(w for w, _ in used), 1)
        assert abs(expected - row["得分"]) <= 0.051, row
    for level in {r["层级"] for r in data}:
        group = [r for r in data if r["层级"] == level]
        for r in group:
            assert r["名次"] == 1 + sum(1 for o in group if o["得分"] > r["得分"])
    lishan = next(r for r in data if r["单位"] == "鞍山市立山区人民政府")
    assert lishan["表内勾稽得分率(%)"] == 50.0 and lishan["得分"] < 100  # two BALANCE_MISMATCH findings
    assert lishan["上年得分"] == 100.0 and lishan["变化"] == round(lishan["得分"] - 100.0, 1)
    assert page.index("鞍山市立山区人民政府") > page.index("<tbody>")


def test_formula_like_agency_names_stay_text(tmp_path):
    s = sc.score_all([sc.AgencyYear(1, "=HYPERLINK(\"http://x\")", "county", "ontime")], W)
    ws = openpyxl.load_workbook(io.BytesIO(summary_workbook(s, dict(W), title="t"))).active
    cell = ws.cell(row=7, column=3)
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"
