"""Evaluation cases from generated reports: every injected defect must be found, and the
arithmetic and structure rules that were not injected must stay silent.

Reports come from ``nianbao.sandbox.reports.build_report`` (consistent numbers, prose that matches the
tables) with one of its defects injected or none, published through ``nianbao.sandbox.render`` as the
official template, Word-exported HTML and pipe text.  Seeded: the same cases every run.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from bench.evaluate import Case
from nianbao.sandbox.reports import DEFECTS

# Rules whose firing on a generated report can only be a false finding unless injected.
WATCHED = (*DEFECTS, "MISSING_TABLE", "TABLE_UNREADABLE", "INVALID_VALUE", "WRONG_PERIOD")
AGENCIES = (("安平县教育局", "department"), ("安平县人民政府", "government"), ("马店镇人民政府", "township"))
STYLES = ("official", "word", "pipe")


def _expected(report, defects: list[dict]) -> dict:
    tables = {
        name: {r: {c: cell.value for c, cell in cols.items()} for r, cols in report.table(name).items()}
        for name in ("disclosure", "applications", "appeals")
    }
    injected = {d["rule"] for d in defects}
    return {
        "is_report": True,
        "year": report.year,
        "layout": report.layout,
        "agency": report.agency,
        **tables,
        "complete": [],
        "expected_findings": [{"rule": d["rule"]} for d in defects],
        "forbidden_findings": [r for r in WATCHED if r not in injected],
    }


def cases(n: int = 24) -> Iterator[Case]:
    """``n`` reports (a third clean), each in three renderings."""
    try:
        from nianbao.sandbox import render
        from nianbao.sandbox.reports import DEFECTS, NEEDS_2021, build_report
    except ImportError:
        return
    rng = random.Random(20261124)
    for i in range(n):
        agency, kind = AGENCIES[i % len(AGENCIES)]
        year = rng.randint(2019, 2024)
        defect = None if i % 3 == 0 else DEFECTS[i % len(DEFECTS)]
        if defect in NEEDS_2021 and year < 2021:
            year = rng.randint(2021, 2024)
        gen = build_report(agency, kind, year, rng, county="安平县", portal="http://www.anping.gov.cn", defect=defect)
        exp = _expected(gen.report, gen.defects)
        label = defect or "clean"
        for style in STYLES:
            if style == "pipe":
                data = render.render_text(gen.report, "pipe", title=True).encode("utf-8")
            else:
                data = render.render_page(gen.report, style).encode("utf-8")
            yield Case(f"generated-{i:02d}-{label}@{style}", data, f"generated-{i:02d}@{style}", exp, group="generated")
