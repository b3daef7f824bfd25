"""Run history (抓取记录), history findings and region grouping in the workbench and exports.

The store is the workbench sample (generated reports, really ingested) plus ``sample.add_history``:
two crawl runs recorded through ``Store.start_run/add_document/record_run_site/finish_run`` and a
monitor run that stores the history rules' findings (changed, removed, missing reports).
"""

from __future__ import annotations

import csv
import io
import re
import warnings

import pytest
from click.testing import CliRunner

from nianbao.sandbox import sample
from nianbao.storage import users
from nianbao.storage import views as q
from nianbao.storage.exports import export_findings, export_noncompliant, export_reports
from nianbao.storage.store import Store
from nianbao.workbench.history import parse_change_evidence

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
from starlette.testclient import TestClient  # noqa: E402

from nianbao.workbench.app import create_app  # noqa: E402

WHO = ("carol", "secret-pass-3")
HAICHENG, XIGANG, DONGCHENG, TIEXI, LISHAN, TAIAN = 7, 10, 11, 4, 2, 6


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("wbh") / "wbh.db"
    with Store(path) as store:
        ids = sample.build(store)
        runs = sample.add_history(store)
        users.add_user(store, *WHO, "reviewer")
    return path, ids, runs


@pytest.fixture(scope="module")
def client(db):
    app = create_app(db[0])
    c = TestClient(app)
    page = c.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert c.post("/login", data={"username": WHO[0], "password": WHO[1], "csrf_token": token},
                  follow_redirects=False).status_code == 303  # fmt: skip
    yield c
    app.state.store.close()


def kpis(page: str) -> dict[str, str]:
    return dict(re.findall(r'class="kpi k-(\w+)"[^>]*><b>(\d+)</b>', page))


def agency_id(client, index: int) -> int:
    return client.app.state.store.agency(sample.AGENCIES[index].name)["id"]


# ---------------------------------------------------------------- 抓取记录


def test_run_list_has_a_nav_entry_and_the_cli_figures(client, db):
    runs = db[2]
    assert '<a href="/runs"' in client.get("/").text
    page = client.get("/runs").text
    rows = re.findall(r'<tr>\s*<td><a href="/runs/(\d+)">.*?</tr>', page, re.S)
    assert rows == [str(runs["crawl2"]), str(runs["crawl1"])]  # crawls only, newest first
    second = re.search(rf'<a href="/runs/{runs["crawl2"]}">#.*?</tr>', page, re.S).group(0)
    assert "3 个异常" in second and "12 个站点" in second
    # the same numbers as `nianbao runs` (one query, shared)
    from nianbao.monitor import runs as cli_runs

    assert cli_runs.run_summaries is q.run_summaries
    summary = q.run_summaries(client.app.state.store, run_id=runs["crawl2"])[0]
    assert (summary["changed"], summary["removed"], summary["errors"]) == (1, 1, 3)
    cells = re.findall(r'<td class="n[^"]*">([^<]*)</td>', second)
    assert cells[-4:] == ["0", "1", "1", "3"]  # new, changed, removed, errors
    from nianbao.cli import main

    out = CliRunner().invoke(main, ["runs", "--db", str(db[0]), "--limit", "1"]).output
    assert f"#{runs['crawl2']} crawl" in out and "变更 1 · 撤下 1 · 错误 3" in out and "无法访问" in out
    everything = client.get("/runs?kind=all").text
    assert f'href="/runs/{runs["monitor"]}"' in everything and "监测计划" in everything


def test_run_detail_shows_site_health_and_problems_with_site_and_url(client, db):
    page = client.get(f"/runs/{db[2]['crawl2']}").text
    sites = re.search(r'<table class="data" id="sites">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", sites.split("<tbody>")[1], re.S)
    health = {re.search(r'<td>([^<]+)</td>\s*<td class="url">', r).group(1): re.search(r'class="health [^"]+">([^<]+)<', r).group(1)
              for r in rows}  # fmt: skip
    assert health[sample.AGENCIES[HAICHENG].name] == "无法访问"
    assert health[sample.AGENCIES[XIGANG].name] == "被robots/反爬阻止"
    assert health[sample.AGENCIES[DONGCHENG].name] == "栏目为空"
    assert health[sample.AGENCIES[LISHAN].name] == "正常"
    assert list(health.values())[:3] == ["无法访问", "被robots/反爬阻止", "栏目为空"]  # trouble first
    assert "0 天" in sites  # days since the site last showed a new document
    problems = re.search(r'<table class="data" id="problems">(.*?)</table>', page, re.S).group(1)
    haicheng = sample.site_of(sample.AGENCIES[HAICHENG])
    assert haicheng + "xxgk/ndbg/" in problems and "TimeoutError" in problems
    assert "Forbidden by robots.txt" in problems
    removed = sample.report_url(sample.AGENCIES[TIEXI], 2022)
    assert re.search(rf"{re.escape(sample.site_of(sample.AGENCIES[TIEXI]))}</td>\s*<td class=\"url\">"
                     rf"{re.escape(removed)}</td>.*?HTTP 404", problems, re.S)  # fmt: skip
    monitor = client.get(f"/runs/{db[2]['monitor']}").text
    assert f'href="/runs/{db[2]["crawl1"]}"' in monitor and "发布后内容被修改</a> 1 项" in monitor
    assert client.get("/runs/9999").status_code == 404


def test_removed_counts_only_sites_the_run_reached(tmp_path):
    with Store(tmp_path / "r.db") as store:
        first = store.start_run("crawl")
        for site in ("http://a.gov.cn/", "http://b.gov.cn/"):
            store.add_document(site + "1.html", b"x" + site.encode(), run_id=first, site=site)
            store.save_report(_report(site), version_id=store.last_fetch(site + "1.html")["version_id"])
        store.finish_run(first)
        second = store.start_run("crawl")
        store.add_document("http://a.gov.cn/2.html", b"new", run_id=second, site="http://a.gov.cn/")
        store.record_run_site(second, "http://b.gov.cn/", stats={"requests": 2, "responses": 0}, health="unreachable")
        store.finish_run(second)
        run = q.run_summaries(store, run_id=second)[0]
        assert run["removed"] == 1  # a.gov.cn's report not fetched again; b.gov.cn was not reached at all


def _report(site: str):
    from tests.storage_factory import make_report

    return make_report("甲县人民政府" if "a.gov" in site else "乙县人民政府", 2024)


# ---------------------------------------------------------------- history findings


def test_change_evidence_is_split_into_labelled_cells_and_diff_lines():
    diff = parse_change_evidence(
        "applications.denied.state_secret.natural_person: 1 → 无\ndisclosure.penalty.decisions: 0 → 12\n"
        "[五、存在的主要问题及改进情况] @@ -5 +5 @@\n-旧句子。\n+新句子<b>x</b>。", "2021")
    assert [(c.key, c.old, c.new) for c in diff.cells] == [
        ("applications.denied.state_secret.natural_person", "1", "无"), ("disclosure.penalty.decisions", "0", "12")]
    assert diff.cells[1].label == "行政处罚·处理决定数量"
    assert [(d.kind, d.text) for d in diff.text] == [
        ("section", "五、存在的主要问题及改进情况"), ("del", "旧句子。"), ("add", "新句子<b>x</b>。")]
    assert not parse_change_evidence("") and not parse_change_evidence(None)


def test_report_page_shows_the_change_as_a_table_and_an_escaped_diff(client, db):
    store = client.app.state.store
    rid = store.one("SELECT report_id FROM findings WHERE rule = 'CHANGED_AFTER_PUBLICATION'")["report_id"]
    page = client.get(f"/reports/{rid}").text
    assert "监测发现：报告发布后内容被修改（1 个表格数值、1 处正文改动）" in page
    table = re.search(r'<table class="data diff-cells">(.*?)</table>', page, re.S).group(1)
    assert re.search(r"行政处罚·处理决定数量.*?<td class=\"n old\">0</td><td class=\"n new\">12</td>", table, re.S)
    pre = re.search(r'<pre class="diff-text">(.*?)</pre>', page, re.S).group(1)
    assert '<span class="d-sec">五、存在的主要问题及改进情况</span>' in pre
    assert "&lt;b&gt;及时&lt;/b&gt;" in pre and "<b>" not in pre  # the edited sentence, as text
    assert '<blockquote class="evidence">disclosure.' not in page  # not the raw evidence dump


def test_removed_and_missing_reports_on_the_agency_pages(client):
    tiexi = client.get(f"/agencies/{agency_id(client, TIEXI)}").text
    assert '<span class="tl tl-missing">已撤下</span>' in tiexi
    monitor = re.search(r'<section class="card" id="monitor">(.*?)</section>', tiexi, re.S).group(1)
    assert "报告已被撤下" in monitor and "再次访问返回404" in monitor
    taian = client.get(f"/agencies/{agency_id(client, TAIAN)}").text
    assert "未在台安县人民政府的门户网站上找到2024年度" in taian and "未在台安县人民政府的门户网站上找到2023年度" in taian
    assert re.search(r'id="monitor">.*?未发布年度报告', taian, re.S)
    dongcheng = client.get(f"/agencies/{agency_id(client, DONGCHENG)}").text  # no 2022 report, none due
    assert "历史规则未列为未发布" in dongcheng and '<span class="tl tl-notdue">未到期或不要求</span>' in dongcheng
    lishan = client.get(f"/agencies/{agency_id(client, LISHAN)}").text
    assert '<span class="tl tl-late">发布后被修改</span>' in lishan


def test_overview_counts_stored_missing_findings_once_the_history_rules_ran(client):
    store = client.app.state.store
    assert q.history_audited(store)
    y2022 = client.get("/?year=2022").text
    # 东城区 has no 2022 report, but its first report is 2023: not missing (absence alone would say 1)
    assert kpis(y2022)["missing"] == "0" and "按历史规则（MISSING_REPORT）" in y2022
    assert kpis(client.get("/?year=2024").text)["missing"] == "2"  # 千山区, 台安县
    assert kpis(client.get("/").text)["missing"] == "3"
    listed = client.get("/agencies?year=2022&timeliness=notdue").text
    assert "北京市东城区人民政府" in listed
    assert "北京市东城区人民政府" not in client.get("/agencies?year=2022&timeliness=missing").text
    fp = store.one("SELECT fingerprint FROM findings WHERE rule = 'MISSING_REPORT' AND year = 2024 AND agency = ?",
                   (sample.AGENCIES[TAIAN].name,))["fingerprint"]  # fmt: skip
    store.set_review(fp, "dismissed", reviewer="carol", note="报告在政府公报上发布")
    try:
        assert kpis(client.get("/?year=2024").text)["missing"] == "1"  # a dismissed finding is not missing
    finally:
        store.set_review(fp, "pending", reviewer="carol")


def test_history_rule_names_match_the_rules_package():
    from nianbao.rules import history as hrules

    assert set(q.HISTORY_RULES) == set(hrules.RULES)


# ---------------------------------------------------------------- regions


def rollup(page: str) -> dict[str, int]:
    body = re.search(r'<table class="data" id="rollup">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return {name: int(n) for name, n in re.findall(r'<td><a href="[^"]+">([^<]+)</a></td>\s*<td class="n">(\d+)</td>',
                                                   body)}  # fmt: skip


def test_overview_rolls_up_and_filters_by_province_prefecture_county(client):
    assert rollup(client.get("/").text) == {"北京市": 1, "辽宁省": 11}
    assert rollup(client.get("/?group_by=prefecture").text) == {"北京市": 1, "大连市": 3, "鞍山市": 8}
    assert rollup(client.get("/?region=210000").text) == {"大连市": 3, "鞍山市": 8}  # province -> prefectures
    counties = rollup(client.get("/?region=210300").text)
    assert counties["立山区"] == 1 and counties["鞍山市本级"] == 2 and sum(counties.values()) == 8
    one = client.get("/?region=210304&year=2023").text
    assert rollup(one) == {"立山区": 1} and kpis(one)["error"] != "0"


def test_exports_have_place_columns_and_filter_by_region(db, tmp_path):
    with Store(db[0]) as store:
        rows = export_reports(store, year=2023)
        lishan = next(r for r in rows if r["agency"] == sample.AGENCIES[LISHAN].name)
        assert (lishan["province"], lishan["prefecture"], lishan["county"], lishan["region_code"]) == (
            "辽宁省", "鞍山市", "立山区", "210304")
        dong = next(r for r in rows if r["agency"] == sample.AGENCIES[DONGCHENG].name)
        assert (dong["province"], dong["prefecture"], dong["county"]) == ("北京市", "北京市", "东城区")
        city = next(r for r in rows if r["agency"] == "鞍山市人民政府")
        assert (city["prefecture"], city["county"]) == ("鞍山市", None)
        for region, expect in (("210300", 7), ("鞍山市", 7), ("210200", 3), ("大连市", 3), ("210000", 10),
                               ("110101", 1), ("立山区", 1)):  # fmt: skip
            got = export_reports(store, year=2023, region=region)
            assert len(got) == expect, region
        assert {r["prefecture"] for r in export_reports(store, region="210200")} == {"大连市"}
        found = export_findings(store, region="210304")
        assert found and {r["county"] for r in found} == {"立山区"}
        assert {r["agency"] for r in export_findings(store, region="辽宁省")} >= {sample.AGENCIES[LISHAN].name}
        # after the history audit, open noncompliant lists the missing reports the rules found, not
        # every absence: 东城区 2022 (before its first report) is not due
        open22 = {r["agency"] for r in export_noncompliant(store, year=2022, status="open")}
        assert sample.AGENCIES[DONGCHENG].name not in open22
        open24 = {r["agency"]: r for r in export_noncompliant(store, year=2024, status="open", region="鞍山市")}
        assert "未在台安县人民政府的门户网站上找到2024年度" in "".join(open24[sample.AGENCIES[TAIAN].name]["findings"])
        assert all(r["prefecture"] == "鞍山市" for r in open24.values())
    from nianbao.cli import main

    out = tmp_path / "r.csv"
    res = CliRunner().invoke(main, ["export", "reports", "--db", str(db[0]), "--year", "2023", "--region", "210200",
                                    "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(table) == 3 and {r["地市"] for r in table} == {"大连市"}
    assert {"省份", "地市", "区县", "区划代码"} <= set(table[0])
