"""Marking a flagged table cell in the stored HTML original (#16): placed by the stored table's
values in layout order, only where exactly one place matches; served under the document CSP,
inside the account's scope."""

from __future__ import annotations

import re
import warnings

import pytest
from lxml import etree

from nianbao.sandbox import sample
from nianbao.storage import users
from nianbao.storage import views as q
from nianbao.storage.store import Store
from nianbao.workbench import original
from nianbao.workbench.sessions import SecuritySettings
from tests.conftest import log_in

warnings.filterwarnings("ignore", message=".*httpx.*")
from starlette.testclient import TestClient  # noqa: E402

from nianbao.workbench.app import create_app  # noqa: E402

LISHAN_2023 = (2, 2023)  # BALANCE_MISMATCH injected
XIGANG_2024 = (10, 2024)  # RESULT_TOTAL_MISMATCH injected


def _report(store, ids, which):
    rid = ids[which]
    r = q.report(store, rid)
    html = store.read_blob(q.version(store, r["version_id"])["sha256"]).decode("utf-8")
    return r, html, q.cells(store, rid)


def _marked(out: str) -> list:
    return etree.fromstring(out, etree.HTMLParser()).xpath("//*[contains(concat(' ', @class, ' '), ' nianbao-mark ')]")


def test_flagged_cells_are_marked_in_their_row_and_column(store):
    ids = sample.build(store)
    r, html, cells = _report(store, ids, LISHAN_2023)
    raw = {f"{c['tbl']}.{c['row_key']}.{c['col_key']}": c["raw"] for c in cells}
    out = original.mark_cells(html, cells, ["applications.total.total", "applications.new.total"], r["layout"])
    marks = _marked(out)
    assert len(marks) == 2 and marks[0].get("id") == original.MARK_ID and marks[1].get("id") is None
    rows = [" ".join("".join(td.itertext()).strip() for td in m.getparent()) for m in marks]
    assert "本年新收" in rows[0] and "总计" in rows[1]  # document order: 一 before (七)
    for m, key in zip(marks, ["applications.new.total", "applications.total.total"], strict=True):
        assert original.norm("".join(m.itertext())) == original.norm(raw[key])
        assert m is m.getparent()[-1]  # the 总计 column is the row's last cell
    assert "<script" not in out.lower()
    r2, html2, cells2 = _report(store, ids, XIGANG_2024)
    marks = _marked(original.mark_cells(html2, cells2, ["appeals.review.total"], r2["layout"]))
    assert len(marks) == 1 and marks[0] is marks[0].getparent()[4]  # the 5th of 15: 行政复议·总计


def test_no_mark_where_the_values_print_more_than_once(store):
    ids = sample.build(store)
    r, html, cells = _report(store, ids, LISHAN_2023)
    table = re.search(r"<table.*?</table>", html[html.find("三、收到和处理"):], re.S).group(0)
    twice = html.replace(table, table + table, 1)
    assert original.mark_cells(twice, cells, ["applications.total.total"], r["layout"]) is None
    assert original.mark_cells(html, cells, ["applications.nosuch.total"], r["layout"]) is None
    assert original.mark_cells("<p>没有表格</p>", cells, ["applications.total.total"], r["layout"]) is None
    assert original.placeable(twice, cells, {1: ["applications.total.total"]}, r["layout"]) == set()


@pytest.fixture
def client_for(tmp_path, monkeypatch):
    monkeypatch.delenv("NIANBAO_SECRET_KEY", raising=False)
    db = tmp_path / "o.db"
    with Store(db) as store:
        ids = sample.build(store)
        users.add_user(store, "dl", "secret-pass-1", "reviewer", "210200")  # 大连市 only
        users.add_user(store, "all", "secret-pass-1", "reviewer")
    app = create_app(db, settings=SecuritySettings(touch_seconds=0))
    clients = []

    def make(name):
        client = log_in(TestClient(app), name)
        clients.append(client)
        return client

    make.ids, make.store = ids, app.state.store
    yield make
    app.state.store.close()


def test_report_page_links_to_the_marked_cell_and_the_view_keeps_the_scope(client_for):
    rid = client_for.ids[LISHAN_2023]
    everyone = client_for("all")
    page = everyone.get(f"/reports/{rid}").text
    links = re.findall(r'href="(/documents/\d+/view\?report=\d+[^"]*)"', page)
    assert links and all(link.endswith("#nianbao-mark") for link in links)
    url = links[0].replace("&amp;", "&").split("#")[0]
    resp = everyone.get(url)
    assert resp.status_code == 200 and 'id="nianbao-mark"' in resp.text
    assert "sandbox" in resp.headers["content-security-policy"] and "script-src" not in resp.headers[
        "content-security-policy"]
    # another report's cells are not marked on this version; a forged key is ignored
    other = client_for.ids[(3, 2023)]
    assert 'id="nianbao-mark"' not in everyone.get(url.replace(f"report={rid}", f"report={other}")).text
    assert 'id="nianbao-mark"' not in everyone.get(url.split("&cell=")[0] + "&cell=x.y").text
    # outside the account's scope: the document itself is not found
    assert client_for("dl").get(url).status_code == 404


def test_a_table_printed_inside_a_bigger_one_goes_to_the_table_made_of_exactly_its_cells():
    values = ["1"] + ["0"] * 14  # the appeals table, 15 cells in layout order
    cells = [{"tbl": "appeals", "row_key": g, "col_key": k, "raw": v, "status": "ok"}
             for (g, k), v in zip(original.table_order("appeals", "2021"), values, strict=True)]
    big = "".join(f"<td>{v}</td>" for v in ["7", *values, "3"])  # the same run inside another table
    own = "".join(f"<td>{v}</td>" for v in values)
    html = f"<table><tr><td>申请</td>{big}</tr></table><table><tr><td>复议</td></tr><tr>{own}</tr></table>"
    marks = _marked(original.mark_cells(html, cells, ["appeals.review.total"], "2021"))
    assert len(marks) == 1 and marks[0].getparent().getparent().xpath("string(.//td[1])") == "复议"
    assert marks[0] is marks[0].getparent()[4]
    # two tables made of exactly these cells: no mark
    assert original.mark_cells(html + html, cells, ["appeals.review.total"], "2021") is None
