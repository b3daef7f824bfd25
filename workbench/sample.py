"""A small sample store for demos, tests and screenshots: generated reports, really ingested.

Reports come from ``sandbox.reports.build_report`` (numbers that obey every identity unless a
defect is injected), are rendered to HTML by ``sandbox.render.render_page`` and go through
``Store.ingest_bytes`` (parse, audit, store) like crawled pages.  Some agencies are registered
without a report for some years (missing), some reports are signed after the deadline (late).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from storage.store import Store


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
    from sandbox.render import render_page
    from sandbox.reports import build_report

    rng = random.Random(f"{seed}:{agency.name}:{year}")
    gen = build_report(agency.name, agency.kind, year, rng, county=agency.county,
                       portal=f"{agency.county}人民政府网站", defect=defect, signed=signed)  # fmt: skip
    return render_page(gen.report).encode("utf-8")


def ingest_one(store: Store, agency: SampleAgency, year: int, body: bytes, *, url: str | None = None):
    return store.ingest_bytes(
        body,
        url or report_url(agency, year),
        url=url or report_url(agency, year),
        hints={"agency": agency.name},
        level=agency.level,
        region=agency.region,
        today=dt.date(year + 1, 6, 30),
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
