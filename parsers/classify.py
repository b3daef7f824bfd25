"""Is a document an annual report on government information disclosure at all?

Not reports: letters (函), notices about compiling reports, 工作要点/工作总结, 政府工作报告,
guides (指南), enterprise annual reports (企业年度报告), blank templates (every cell empty,
placeholders such as 文字描述).  Pre-2019 free-layout reports *are* reports (no tables).
"""

from __future__ import annotations

import re

from nianbao.fragments import FRAGMENT_NOTE
from nianbao.model import Report
from nianbao.parsers.blocks import Extracted, GridBlock
from nianbao.parsers.metadata import TITLE_FROM_CONTEXT
from nianbao.text import nfkc

__all__ = ["apply", "classify", "is_blank_template"]

_REPORT_TITLE = re.compile(r"(?:政府|政务)?信息公开(?:工作)?(?:年度)?(?:报告|年报)|政务公开(?:工作)?年度报告")
_NOT_REPORT_TITLE = re.compile(
    r"工作要点|要点落实|工作总结|政府工作报告|指南|目录|通知|的函|函$|意见$|方案$|办法$|规定$|决定$|公告$|"
    r"企业年度报告|年报公示|统计表$|考核|评议结果|整改|征求意见|解读"
)
_PLACEHOLDER = re.compile(r"文字描述|XXXX|xxxx|××××|＊＊|此处填写|请填写|（单位名称）|\(单位名称\)|XX年|XX县|XX市")
_SECTION_MIN = 3


_SPACES = re.compile(r"\s+")


def _norm(s: str) -> str:
    return _SPACES.sub("", nfkc(s or ""))


def is_blank_template(report: Report, ex: Extracted) -> bool:
    """Tables present but not one value written, or placeholder text where prose should be."""
    cells = list(report.cells())
    placeholders = len(_PLACEHOLDER.findall(report.text))
    if cells and all(c.status == "blank" or c.value is None for *_, c in cells):
        return True
    if not cells:
        grids = [b for b in ex.blocks if isinstance(b, GridBlock)]
        texts = [c.text for g in grids for row in g.rows for c in row if c.span_origin]
        if grids and not any(re.search(r"\d", t) for t in texts) and placeholders:
            return True
    return placeholders >= 3 and report.agency is None


def classify(report: Report, ex: Extracted) -> tuple[bool, str]:
    """(is_report, reason)."""
    title = _norm(report.title or "")
    head = _norm(report.text[:1500])
    if title and _NOT_REPORT_TITLE.search(title) and not re.search(r"年度报告$|年报$", title):
        return False, f"title says it is something else: {report.title}"
    if "企业年度报告" in head and "政府信息公开" not in head:
        return False, "enterprise annual report"
    if is_blank_template(report, ex):
        return False, "blank template: no values filled in"
    if title and _REPORT_TITLE.search(title):
        return True, "title"
    sections = len(report.sections)
    if sections >= _SECTION_MIN and re.search(r"年度报告|年报|工作报告|本报告", head + title):
        return True, "sections"
    if report.applications and report.appeals:
        return True, "tables"
    if _tables_recognised(report):
        return True, "tables recognised by their row labels"
    if re.search(r"信息公开(?:工作)?年度报告", head) and sections >= 2:
        return True, "text"
    return False, "no sign of an annual report on government information disclosure"


_LABELLED_ROWS_MIN = 12  # section 3 rows named by their own labels that make a table a report's


def _tables_recognised(report: Report) -> bool:
    """A report's table recognised by its official row labels (not rows taken by position)."""
    named = [row for row in report.applications.values()
             if not any(c.note and "taken by position" in c.note for c in row.values())]
    numbers = sum(1 for row in named for c in row.values() if c.status == "ok")
    return len(named) >= _LABELLED_ROWS_MIN and numbers >= _LABELLED_ROWS_MIN


def is_fragment(report: Report, why: str) -> bool:
    """A report's tables without a title of its own (none, or only the crawl's), lacking some of
    the six sections: an extract or one part of a split attachment."""

    if not (report.applications or report.appeals or report.disclosure):
        return False
    own_title = report.title and TITLE_FROM_CONTEXT not in report.notes
    if own_title and _REPORT_TITLE.search(_norm(report.title or "")):
        return False
    if not (why.startswith("tables") or TITLE_FROM_CONTEXT in report.notes):
        return False
    return any(k not in report.sections for k in ("1", "2", "3", "4", "5", "6"))


def apply(report: Report, ex: Extracted) -> None:
    """Set ``report.is_report`` (and a note when it is not a report, or only a fragment of one)."""
    ok, why = classify(report, ex)
    report.is_report = ok
    if not ok:
        report.notes.append(f"not an annual report: {why}")
    elif is_fragment(report, why):
        report.notes.append(FRAGMENT_NOTE)
