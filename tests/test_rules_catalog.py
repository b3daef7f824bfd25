"""The catalog, the registry and the clean samples agree; the seeds give the findings they should."""

from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.model import Report
from nianbao.rules.catalog import CATALOG, CROSS_DOCUMENT_RULES, GROUPS, HISTORY_RULES, severity, title
from nianbao.rules.registry import RULES, AuditContext, audit
from nianbao.rules.samples import report_2019, report_2021
from nianbao.rules.settings import DEFAULTS, get

SEEDS = Path(__file__).resolve().parent / "data" / "seeds"


def test_every_registered_rule_is_in_the_catalog():
    assert set(RULES) <= set(CATALOG)
    assert set(RULES) | HISTORY_RULES | CROSS_DOCUMENT_RULES == set(CATALOG)
    assert not set(RULES) & HISTORY_RULES


def test_groups_cover_the_catalog_once():
    listed = [name for names in GROUPS.values() for name in names]
    assert sorted(listed) == sorted(CATALOG)


def test_titles_and_severities():
    assert all(sev in ("error", "warning", "info") and name for sev, name in CATALOG.values())
    assert severity("CHANGE_MISMATCH") == "warning" and title("NARRATIVE_MISMATCH") == "正文数字与表格不符"
    assert title("NOT_A_RULE") == "NOT_A_RULE"


@pytest.mark.parametrize("make", [report_2021, report_2019], ids=["2021", "2019"])
def test_no_rule_fires_on_the_clean_samples(make):
    report = make()
    assert audit(report, AuditContext(level="county")) == []
    assert report.findings == []


def test_not_a_report_gets_no_findings():
    assert audit(Report(source="x", is_report=False)) == []


def test_findings_carry_catalog_severities():
    r = report_2021(2024)
    r.sections.pop("5")
    r.published = None
    r.applications["new"]["total"].value = 1
    found = audit(r)
    assert {f.rule for f in found} >= {"MISSING_SECTION", "UNKNOWN_PUBLICATION_DATE", "ROW_TOTAL_MISMATCH"}
    assert all(f.severity == CATALOG[f.rule][0] for f in found)


def test_settings_defaults_and_string_overrides():
    assert get(None, "narrative_tolerance") == DEFAULTS["narrative_tolerance"]
    assert get({"narrative_tolerance": "2"}, "narrative_tolerance") == 2
    with pytest.raises(ValueError, match="change_min_rows"):
        get({"change_min_rows": "two"}, "change_min_rows")


# Findings per seed (timeliness aside: it depends on which dates the reader trusts).
SEED_FINDINGS = {
    "000": {"NARRATIVE_MISMATCH", "MISSING_ASSESSMENT_RESULTS"},
    "001": {"MISSING_TABLE", "BLANK_CELLS"},  # row (六)3.其他 is absent; one &nbsp; cell
    "002": set(),
    "003": {"CHANGE_MISMATCH", "IMPLAUSIBLE_RULES", "MISSING_ASSESSMENT_RESULTS", "BLANK_CELLS"},
    "004": set(),
}
TIMELINESS = {"LATE_PUBLICATION", "UNKNOWN_PUBLICATION_DATE", "DEADLINE_PASSED"}


@pytest.mark.parametrize("seed", sorted(SEED_FINDINGS))
def test_seed_findings(seed):
    from nianbao.parsers import read_path

    (path,) = SEEDS.glob(f"{seed}_*.txt")
    found = audit(read_path(path))
    assert {f.rule for f in found} - TIMELINESS == SEED_FINDINGS[seed]
    by_rule = {f.rule: f for f in found}
    if seed == "000":
        f = by_rule["NARRATIVE_MISMATCH"]
        assert (f.where, f.expected, f.actual) == ("applications.new.total", 49, 29)
        assert "共收到依申请公开事项29宗" in f.evidence
    if seed == "003":
        f = by_rule["CHANGE_MISMATCH"]
        assert (f.where, f.expected, f.actual) == ("disclosure.coercion.change", 27, -27)
