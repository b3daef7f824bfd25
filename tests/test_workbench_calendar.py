"""The deadline calendar: the pure status, and the page over a sample store."""

from __future__ import annotations

import datetime as dt
import re
import warnings

import pytest

from nianbao.sandbox import sample
from nianbao.storage import users
from nianbao.storage.store import Store
from nianbao.workbench.calendar import Due, due_status

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
from starlette.testclient import TestClient  # noqa: E402

from nianbao.workbench.app import create_app  # noqa: E402

D = dt.date(2025, 3, 31)


@pytest.mark.parametrize(("args", "due"), [
    ((D, dt.date(2025, 3, 20), True, D), Due("ontime", None)),
    ((D, dt.date(2025, 4, 19), True, D), Due("late", 19)),
    ((D, None, True, D), Due("published", None)),
    ((D, None, False, dt.date(2025, 3, 1)), Due("upcoming", 30)),
    ((D, None, False, D), Due("upcoming", 0)),
    ((D, None, False, dt.date(2025, 4, 10)), Due("unseen", 10)),
    ((D, None, False, dt.date(2025, 4, 10), True), Due("missing", 10)),
    ((None, None, False, D), Due("nodeadline", None)),
])  # fmt: skip
def test_due_status(args, due):
    assert due_status(*args) == due


@pytest.fixture()
def client(tmp_path):
    path = tmp_path / "c.db"
    with Store(path) as store:
        sample.build(store)
        users.add_user(store, "bob", "secret-pass-2", "readonly")
    app = create_app(path)
    c = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "bob", "password": "secret-pass-2", "csrf_token": token})
    yield c
    app.state.store.close()


def _rows(html: str) -> dict[str, list[str]]:
    body = html.split('<table class="data" id="calendar">')[1].split("</tbody>")[0]
    out = {}
    for tr in re.findall(r"<tr class=\"cal-row[^\"]*\">(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        out[cells[1]] = cells
    return out


def test_calendar_page_by_region_and_year(client):
    rows = _rows(client.get("/calendar?region=210300&year=2023").text)
    assert "大连市人民政府" not in rows and "鞍山市立山区人民政府" in rows
    assert rows["海城市人民政府"][4] == "逾期发布" and rows["海城市人民政府"][0] == "2024-03-31"
    assert rows["海城市人民政府"][5] == "逾期 19 天"
    assert rows["鞍山市教育局"][0] == "2024-01-31" and rows["鞍山市教育局"][3] == "政府部门"
    # no report and no history audit: not yet called 未发布
    assert rows["台安县人民政府"][4] == "已过期限，未见报告"
    deadlines = [r[0] for r in rows.values()]
    assert deadlines == sorted(deadlines)
    future = _rows(client.get(f"/calendar?region=210300&year={dt.date.today().year + 1}").text)
    assert future and all(r[4] == "未到期限" and r[5].startswith("还有") for r in future.values())
