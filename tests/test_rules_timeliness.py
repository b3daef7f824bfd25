"""LATE_PUBLICATION, DEADLINE_PASSED, UNKNOWN_PUBLICATION_DATE."""

from __future__ import annotations

import datetime as dt

import pytest

from nianbao.rules.deadlines import load_deadlines
from nianbao.rules.registry import AuditContext
from nianbao.rules.samples import report_2021, run_rule

D = dt.date


@pytest.mark.parametrize(
    "agency, year, published, ctx, late_by",
    [
        ("鞍山市立山区人民政府", 2024, D(2025, 3, 31), {}, None),  # on the deadline day: on time
        ("鞍山市立山区人民政府", 2024, D(2025, 4, 2), {}, 2),
        ("偃师区人民政府办公室", 2024, D(2025, 1, 31), {}, None),
        ("偃师区人民政府办公室", 2024, D(2025, 2, 3), {}, 3),
        ("偃师区人民政府办公室", 2018, D(2019, 3, 20), {}, None),  # old regime: 31 March for all
        ("偃师区人民政府办公室", 2024, D(2025, 2, 3), {"kind": "government"}, None),  # ctx.kind wins
        ("鞍山市立山区人民政府", 2024, D(2025, 2, 3), {"level": "department"}, 3),  # level beats the name
        ("张家川县闫家乡人民政府", 2024, D(2025, 3, 1), {}, None),  # township: only a notice
        ("张家川县闫家乡人民政府", 2024, D(2025, 4, 1), {}, 1),
        ("平潭综合实验区管委会", 2024, D(2025, 2, 20), {}, None),  # kind unknown: latest deadline
        ("平潭综合实验区管委会", 2024, D(2025, 4, 5), {}, 5),
        ("鞍山市立山区人民政府", 2024, D(2025, 4, 2), {"settings": {"late_grace_days": "5"}}, None),
    ],
)
def test_late_publication(agency, year, published, ctx, late_by):
    r = report_2021(year)
    r.agency, r.agency_kind, r.published = agency, None, published
    found = run_rule("LATE_PUBLICATION", r, AuditContext(**ctx))
    if late_by is None:
        assert found == []
        return
    (f,) = found
    assert f.where == "published" and f.severity == "error"
    assert f.actual == published.isoformat()
    assert (published - dt.date.fromisoformat(f.expected)).days == late_by
    assert f"逾期{late_by}天" in f.message and f.expected in f.message


def test_late_uses_the_readers_kind_when_the_name_says_nothing():
    r = report_2021(2024)
    r.agency, r.agency_kind, r.published = None, "department", D(2025, 2, 10)
    (f,) = run_rule("LATE_PUBLICATION", r)
    assert f.expected == "2025-01-31"


def test_user_deadlines_from_context(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("province,kind,first_year,last_year,deadline\n湖南,government,2024,2024,02-28\n", "utf-8")
    r = report_2021(2024)
    r.published = D(2025, 3, 10)
    ctx = AuditContext(province="湖南省", deadlines=load_deadlines(path))
    (f,) = run_rule("LATE_PUBLICATION", r, ctx)
    assert f.expected == "2025-02-28"
    assert run_rule("LATE_PUBLICATION", r, AuditContext(province="江苏省", deadlines=load_deadlines(path))) == []


@pytest.mark.parametrize(
    "published, province_rule, fires",
    [
        (D(2025, 1, 31), False, False),
        (D(2025, 2, 1), False, True),
        (D(2025, 3, 31), False, True),
        (D(2025, 4, 1), False, False),  # LATE_PUBLICATION instead
        (D(2025, 2, 15), True, False),  # a local rule is configured: no notice
    ],
)
def test_deadline_passed(tmp_path, published, province_rule, fires):
    r = report_2021(2024)
    r.agency, r.agency_kind, r.published = "张家川县闫家乡人民政府", None, published
    ctx = AuditContext(province="甘肃")
    if province_rule:
        path = tmp_path / "d.csv"
        path.write_text("province,kind,first_year,last_year,deadline\n甘肃,township,2021,,02-28\n", "utf-8")
        ctx.deadlines = load_deadlines(path)
    found = run_rule("DEADLINE_PASSED", r, ctx)
    assert len(found) == int(fires)
    if fires:
        assert found[0].severity == "info" and found[0].expected == "2025-01-31"


def test_deadline_passed_not_for_governments():
    r = report_2021(2024)
    r.published = D(2025, 3, 1)
    assert run_rule("DEADLINE_PASSED", r) == []


def test_unknown_publication_date():
    r = report_2021(2024)
    assert run_rule("UNKNOWN_PUBLICATION_DATE", r) == []
    assert run_rule("LATE_PUBLICATION", r) == []
    r.published = None
    (f,) = run_rule("UNKNOWN_PUBLICATION_DATE", r, AuditContext(first_seen=D(2025, 2, 1)))
    assert f.severity == "info" and f.where == "published" and "2025-02-01" in f.message
    assert run_rule("LATE_PUBLICATION", r) == []
