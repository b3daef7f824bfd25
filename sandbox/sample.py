"""A small sample store for demos, tests and screenshots: generated reports, really ingested.

Reports come from ``nianbao.sandbox.reports.build_report`` (numbers that obey every identity unless a
defect is injected), are rendered to HTML by ``nianbao.sandbox.render.render_page`` and go through
``nianbao.intake.ingest_bytes`` (parse, audit, store) like crawled pages.  Some agencies are registered
without a report for some years (missing), some reports are signed after the deadline (late).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass

from nianbao import intake
from nianbao.rules import history as hrules
from nianbao.rules.deadlines import publisher_kind
from nianbao.sandbox.render import render_page
from nianbao.sandbox.reports import build_report
from nianbao.storage.history import StoreHistory
from nianbao.storage.store import Store


@dataclass(frozen=True)
class SampleAgency:
    name: str
    region: str
    level: str
    kind: str  # government | department
    county: str


AGENCIES: list[SampleAgency] = [
    SampleAgency("鞍山市人民政府", "210300", "city", "government", "鞍山市"),
    SampleAgency("鞍山市教育局", "210300", "department", "department", "鞍山市"),
    SampleAgency("鞍山市立山区人民政府", "210304", "county", "government", "立山区"),
    SampleAgency("鞍山市铁东区人民政府", "210302", "county", "government", "铁东区"),
    SampleAgency("鞍山市铁西区人民政府", "210303", "county", "government", "铁西区"),
    SampleAgency("鞍山市千山区人民政府", "210311", "county", "government", "千山区"),
    SampleAgency("台安县人民政府", "210321", "county", "government", "台安县"),
    SampleAgency("海城市人民政府", "210381", "county", "government", "海城市"),
    SampleAgency("大连市人民政府", "210200", "city", "government", "大连市"),
    SampleAgency("大连市中山区人民政府", "210202", "county", "government", "中山区"),
    SampleAgency("大连市西岗区人民政府", "210203", "county", "government", "西岗区"),
    SampleAgency("北京市东城区人民政府", "110101", "county", "government", "东城区"),
]

# (agency index, year) -> defect injected; (agency index, year) without a report; late signatures
DEFECTS = {
    (2, 2023): "BALANCE_MISMATCH",
    (3, 2023): "NARRATIVE_MISMATCH",
    (4, 2024): "ROW_TOTAL_MISMATCH",
    (9, 2023): "APPEAL_TOTAL_MISMATCH",
    (10, 2024): "RESULT_TOTAL_MISMATCH",
}
MISSING = {(5, 2024), (6, 2023), (6, 2024), (11, 2022)}
LATE = {(7, 2023): dt.date(2024, 4, 19), (8, 2024): dt.date(2025, 5, 6), (1, 2023): dt.date(2024, 2, 20)}
YEARS = (2022, 2023, 2024)


def report_url(agency: SampleAgency, year: int) -> str:
    return f"http://www.example-gov.cn/{agency.region}/xxgk/ndbg/{year}/{abs(hash(agency.name)) % 10**6}.html"


def generated_page(agency: SampleAgency, year: int, *, seed: int = 7, defect: str | None = None,
                   signed: dt.date | None = None) -> bytes:  # fmt: skip
    """The HTML page of one generated report (official template)."""

    rng = random.Random(f"{seed}:{agency.name}:{year}")
    gen = build_report(agency.name, agency.kind, year, rng, county=agency.county,
                       portal=f"{agency.county}人民政府网站", defect=defect, signed=signed)  # fmt: skip
    return render_page(gen.report).encode("utf-8")


def ingest_one(store: Store, agency: SampleAgency, year: int, body: bytes, *, url: str | None = None,
               run_id: int | None = None):  # fmt: skip
    return intake.ingest_bytes(
        store,
        body,
        url or report_url(agency, year),
        url=url or report_url(agency, year),
        hints={"agency": agency.name},
        level=agency.level,
        region=agency.region,
        today=dt.date(year + 1, 6, 30),
        run_id=run_id,
    )


def build(store: Store, *, seed: int = 7) -> dict[tuple[int, int], int]:
    """Fill ``store`` with the sample agencies and reports; returns (agency index, year) -> report id."""
    ids: dict[tuple[int, int], int] = {}
    for i, agency in enumerate(AGENCIES):
        store.upsert_agency(agency.name, level=agency.level, region=agency.region, kind=agency.kind)
        for year in YEARS:
            if (i, year) in MISSING:
                continue
            body = generated_page(agency, year, seed=seed, defect=DEFECTS.get((i, year)),
                                  signed=LATE.get((i, year)))  # fmt: skip
            ids[(i, year)], _ = ingest_one(store, agency, year, body)
    return ids


# ---------------------------------------------------------------- run history and history findings

SITE = "http://www.example-gov.cn/{region}/"
CHANGED = 2, 2024  # 立山区 2024: a number and a sentence changed after publication
REMOVED = 4, 2022  # 铁西区 2022: taken down (404)
UNREACHABLE, BLOCKED, EMPTY = 7, 10, 11  # 海城市, 西岗区, 东城区 in the second crawl


def site_of(agency: SampleAgency) -> str:
    return SITE.format(region=agency.region) + abs(hash(agency.name)).__str__()[-4:] + "/"


def changed_page(agency: SampleAgency, year: int, *, seed: int = 7) -> bytes:
    """The report of ``generated_page`` edited after publication: one table number and one sentence."""

    rng = random.Random(f"{seed}:{agency.name}:{year}")
    gen = build_report(agency.name, agency.kind, year, rng, county=agency.county,
                       portal=f"{agency.county}人民政府网站", defect=DEFECTS.get((AGENCIES.index(agency), year)),
                       signed=LATE.get((AGENCIES.index(agency), year)))  # fmt: skip
    rep = gen.report
    cell = rep.disclosure["penalty"]["decisions"]
    cell.value = (cell.value or 0) + 12
    cell.raw = str(cell.value)
    rep.sections["5"] = (rep.sections.get("5") or "") + "\n三是进一步加强政策解读和回应关切工作，<b>及时</b>更新公开目录。"
    return render_page(rep).encode("utf-8")


def _site_stats(requests: int, reports: int, nbytes: int, **extra: int) -> dict:
    return {"requests": requests, "responses": requests, "status_2xx": requests, "reports": reports,
            "bytes": nbytes, **extra}  # fmt: skip


def add_history(store: Store, *, today: dt.date = dt.date(2025, 6, 30), seed: int = 7) -> dict[str, int]:
    """Two crawls over the sample's portals and one monitor run with the history rules, on top of
    :func:`build`: the second crawl finds a changed report, a removed one, an unreachable site, a
    site blocked by robots.txt and an empty column.  Returns the run ids."""
    docs = store.query(
        """SELECT r.agency, r.year, d.url, v.sha256 FROM reports r JOIN documents d ON d.id = r.document_id
           JOIN document_versions v ON v.id = d.current_version_id WHERE r.current = 1 ORDER BY r.id""")
    by_agency: dict[str, list[dict]] = {}
    for d in docs:
        by_agency.setdefault(d["agency"], []).append(d)
    runs = {}
    for n in (1, 2):
        rid = runs[f"crawl{n}"] = store.start_run("crawl", {"sites": len(AGENCIES), "sample": True})
        total_requests = total_bytes = 0
        for i, agency in enumerate(AGENCIES):
            site = site_of(agency)
            mine = by_agency.get(agency.name, [])
            if n == 2 and i in (UNREACHABLE, BLOCKED):
                stats = {"requests": 3, "responses": 0, "errors": 3 if i == UNREACHABLE else 0,
                         "robots_forbidden": 3 if i == BLOCKED else 0}  # fmt: skip
                stats["problems"] = (
                    [{"url": site + "xxgk/ndbg/", "kind": "list", "error": "TimeoutError: 连接超时（30秒）"},
                     {"url": site, "kind": "page", "error": "ConnectionRefusedError: 连接被拒绝"}]
                    if i == UNREACHABLE else
                    [{"url": site + "xxgk/ndbg/", "kind": "list", "error": "IgnoreRequest: Forbidden by robots.txt"}])  # fmt: skip
                store.record_run_site(rid, site, stats=stats, agency=agency.name,
                                      health="unreachable" if i == UNREACHABLE else "blocked")  # fmt: skip
                total_requests += 3
                continue
            if n == 2 and i == EMPTY:
                store.record_run_site(rid, site, stats=_site_stats(2, 0, 4096), agency=agency.name, health="empty")
                total_requests += 2
                continue
            nbytes = 0
            for d in mine:
                url, year = d["url"], d["year"]
                if n == 2 and (i, year) == REMOVED:
                    store.add_document(url, None, status=404, run_id=rid, site=site)
                    continue
                if n == 2 and (i, year) == CHANGED:
                    body = changed_page(agency, year, seed=seed)
                    ingest_one(store, agency, year, body, url=url, run_id=rid)
                else:
                    body = store.read_blob(d["sha256"])
                store.add_document(url, body, run_id=rid, site=site)
                nbytes += len(body)
            reqs = len(mine) + 2
            store.record_run_site(rid, site, stats=_site_stats(reqs, len(mine), nbytes + 6000,
                                                               unchanged_reports=len(mine) if n == 2 else 0),
                                  agency=agency.name, health="ok" if mine else "no_reports")  # fmt: skip
            total_requests += reqs
            total_bytes += nbytes + 6000
        store.finish_run(rid, {"downloader/request_count": total_requests, "downloader/response_bytes": total_bytes,
                               "nianbao/not_modified": 0})  # fmt: skip
    # The sample's years are generated independently (no carried-over state), so the year-over-
    # year and copy rules would fire on every pair: keep the monitoring rules' findings only.

    rid = runs["monitor"] = store.start_run("monitor", {"plan": "sample"})
    items = [h for h in hrules.audit_history(StoreHistory(store, publisher_kind), today=today) if h.finding.rule in MONITOR_RULES]
    result = store.save_history_findings(items, rules=hrules.RULES, run_id=rid)
    summary = {"history_findings": len(items), "new": len(result["new"]), "resolved": len(result["resolved"]),
               "by_rule": dict(Counter(h.finding.rule for h in items))}  # fmt: skip
    store.finish_run(rid, {"plan": "sample", "crawl_runs": [runs["crawl1"], runs["crawl2"]],
                           "history": summary, "notified": 0, "problems": []})  # fmt: skip
    return runs


MONITOR_RULES = ("MISSING_REPORT", "CHANGED_AFTER_PUBLICATION", "REPORT_REMOVED")
