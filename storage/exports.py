"""Exports: reports and findings as rows (dicts), and writers for CSV, JSON and XLSX.

Rows use English keys and plain values (JSON keeps them so); the CSV and XLSX writers can give
Chinese headers and Chinese labels for coded values (severity, review status) for people.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from nianbao import labels
from nianbao.labels import STATUSES as REVIEW_STATUSES
from nianbao.regions.registry import lineage
from nianbao.storage.rectify import STATES as RECTIFY_STATES
from nianbao.storage.views import history_audited

if TYPE_CHECKING:
    from nianbao.storage.store import Store

SEVERITY_LABELS = labels.SEVERITIES
LEVEL_LABELS = labels.LEVELS


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    labels: dict[str, str] = field(default_factory=dict)  # coded value -> Chinese label
    kind: str = "text"  # text | int | date | list | bool | json


REPORT_COLUMNS: list[Column] = [
    Column("id", "编号", kind="int"),
    Column("agency", "机构"),
    Column("year", "年度", kind="int"),
    Column("level", "层级", LEVEL_LABELS),
    Column("region", "地区"),
    Column("province", "省份"),
    Column("prefecture", "地市"),
    Column("county", "区县"),
    Column("region_code", "区划代码"),
    Column("title", "标题"),
    Column("url", "链接"),
    Column("published", "发布日期", kind="date"),
    Column("published_source", "日期来源"),
    Column("first_seen", "首次发现", kind="date"),
    Column("deadline", "截止日期", kind="date"),
    Column("days_late", "逾期天数", kind="int"),
    Column("layout", "版式"),
    Column("read_by", "读取方式"),
    Column("is_report", "是否年报", kind="bool"),
    Column("n_errors", "错误数", kind="int"),
    Column("n_warnings", "警告数", kind="int"),
    Column("findings", "问题规则", kind="list"),
    Column("source", "来源"),
]

FINDING_COLUMNS: list[Column] = [
    Column("id", "编号", kind="int"),
    Column("agency", "机构"),
    Column("year", "年度", kind="int"),
    Column("rule", "规则"),
    Column("severity", "严重程度", SEVERITY_LABELS),
    Column("where", "位置"),
    Column("expected", "应为", kind="json"),
    Column("actual", "实为", kind="json"),
    Column("message", "说明"),
    Column("evidence", "依据"),
    Column("review", "审核状态", REVIEW_STATUSES),
    Column("reviewer", "审核人"),
    Column("review_note", "审核备注"),
    Column("title", "报告标题"),
    Column("url", "链接"),
    Column("report_id", "报告编号", kind="int"),
    Column("created_at", "首次发现时间"),
    Column("province", "省份"),
    Column("prefecture", "地市"),
    Column("county", "区县"),
    Column("region_code", "区划代码"),
    Column("fingerprint", "指纹"),
]

COLUMNS: dict[str, list[Column]] = {"reports": REPORT_COLUMNS, "findings": FINDING_COLUMNS}


# ---------------------------------------------------------------- rows


def _where(clauses: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """AND the clauses whose value is not None/False; a value is a parameter iff its SQL has ``?``."""
    used = [(sql, v) for sql, v in clauses if v is not None and v is not False]
    if not used:
        return "", []
    params = [v for sql, v in used for _ in range(sql.count("?"))]
    return " WHERE " + " AND ".join(sql for sql, _ in used), params


def export_reports(
    store: Store,
    *,
    year: int | None = None,
    agency: str | None = None,
    rule: str | None = None,
    level: str | None = None,
    current_only: bool = True,
    reports_only: bool = True,
    region: str | None = None,
) -> list[dict[str, Any]]:
    """One dict per report: metadata, place (province, prefecture, county, division code),
    timeliness and the names of the rules that fired.

    ``agency`` matches a substring of the name; ``rule`` keeps reports with that finding;
    ``region`` (a division code, or a province/prefecture/county name) keeps reports of agencies
    in or below it.
    """
    where, params = _where(
        [
            ("r.current = 1", current_only),
            ("r.is_report = 1", reports_only),
            ("r.year = ?", year),
            ("r.agency LIKE '%' || ? || '%'", agency),
            ("r.level = ?", level),
            ("EXISTS (SELECT 1 FROM findings f WHERE f.report_id = r.id AND f.rule = ?)", rule),
        ]
    )
    rows = store.query(
        f"""SELECT r.id, r.agency, r.year, r.level, r.region, r.province, r.title,
                   COALESCE(r.url, d.url) AS url, r.published, r.published_source, r.first_seen,
                   r.deadline, r.days_late, r.layout, r.read_by, r.is_report, r.source,
                   (SELECT COUNT(*) FROM findings f WHERE f.report_id = r.id AND f.severity = 'error')
                       AS n_errors,
                   (SELECT COUNT(*) FROM findings f WHERE f.report_id = r.id AND f.severity = 'warning')
                       AS n_warnings,
                   (SELECT GROUP_CONCAT(DISTINCT f.rule) FROM findings f WHERE f.report_id = r.id) AS findings,
                   {_PLACE_SQL.format(code="r.region")}
            FROM reports r JOIN documents d ON d.id = r.document_id
            LEFT JOIN agencies a ON a.id = r.agency_id{where}
            ORDER BY r.agency IS NULL, r.agency, r.year, r.id""",
        params,
    )
    for row in rows:
        row["findings"] = sorted(row["findings"].split(",")) if row["findings"] else []
        row["is_report"] = bool(row["is_report"])
    return _placed(rows, region)


def export_findings(
    store: Store,
    *,
    year: int | None = None,
    agency: str | None = None,
    rule: str | None = None,
    severity: str | None = None,
    review: str | None = None,
    active_only: bool = True,
    region: str | None = None,
) -> list[dict[str, Any]]:
    """One dict per finding, with its report's title/URL, the review decision (pending if none)
    and the agency's place; ``region`` as in :func:`export_reports`."""
    where, params = _where(
        [
            ("f.active = 1", active_only),
            ("f.year = ?", year),
            ("f.agency LIKE '%' || ? || '%'", agency),
            ("f.rule = ?", rule),
            ("f.severity = ?", severity),
            ("COALESCE(v.status, 'pending') = ?", review),
        ]
    )
    rows = store.query(
        f"""SELECT f.id, f.agency, f.year, f.rule, f.severity, f.location AS "where", f.expected, f.actual,
                   f.message, f.evidence, COALESCE(v.status, 'pending') AS review, v.reviewer,
                   v.note AS review_note, r.title, COALESCE(r.url, d.url) AS url, f.report_id,
                   f.created_at, f.fingerprint, {_PLACE_SQL.format(code="r.region")}
            FROM findings f LEFT JOIN reports r ON r.id = f.report_id
            LEFT JOIN documents d ON d.id = f.document_id
            LEFT JOIN agencies a ON a.id = f.agency_id
            LEFT JOIN reviews v ON v.fingerprint = f.fingerprint{where}
            ORDER BY f.agency IS NULL, f.agency, f.year,
                     CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, f.rule, f.id""",
        params,
    )
    for row in rows:
        row["expected"] = json.loads(row["expected"]) if row["expected"] is not None else None
        row["actual"] = json.loads(row["actual"]) if row["actual"] is not None else None
    return _placed(rows, region)


# The agency's division code (else the report's, when it is a code) and the place names kept on the
# agency row; ``_placed`` completes them from the region registry.
_PLACE_SQL = """COALESCE(a.region_code, CASE WHEN {code} GLOB '[0-9][0-9][0-9][0-9][0-9][0-9]' THEN {code} END)
                       AS region_code,
                   COALESCE(a.province, r.province) AS province, a.prefecture AS prefecture, a.county AS county"""


def _placed(rows: list[dict[str, Any]], region: str | None) -> list[dict[str, Any]]:
    """Fill province/prefecture/county names from the division code; keep rows in ``region``."""
    cache: dict[str, tuple[Any, ...]] = {}
    region = region.strip() if region else None
    out = []
    for row in rows:
        prov, pref, cty, *codes = _lineage_names(row.get("region_code"), cache)
        row["province"] = prov or row.get("province")
        row["prefecture"] = pref or row.get("prefecture")
        row["county"] = cty or row.get("county")
        if region and region not in {row.get("region_code"), *codes, row["province"], row["prefecture"],
                                     row["county"]}:  # fmt: skip
            continue
        out.append(row)
    return out


# ---------------------------------------------------------------- writers


# Characters that make a spreadsheet cell a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_csv_cell(text: str) -> str:
    """A CSV text cell that no spreadsheet will run: a leading ``'`` before = + - @ tab CR."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _text(value: Any, col: Column, chinese: bool) -> str:
    """A value as one spreadsheet-cell string."""
    if value is None:
        return ""
    if col.kind == "list":
        return "、".join(str(v) for v in value)
    if col.kind == "bool":
        return ("是" if value else "否") if chinese else ("true" if value else "false")
    if col.kind == "json" and not isinstance(value, (str, int, float)):
        return json.dumps(value, ensure_ascii=False)
    if chinese and col.labels:
        return col.labels.get(str(value), str(value))
    return str(value)


def _csv_cell(value: Any, col: Column, chinese: bool) -> str:
    """A CSV cell: numbers as they are, any text neutralised (see :func:`neutralise_csv_cell`)."""
    text = _text(value, col, chinese)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and col.kind in ("int", "json"):
        return text
    return neutralise_csv_cell(text)


def _headers(columns: Sequence[Column], chinese: bool) -> list[str]:
    return [c.zh if chinese else c.key for c in columns]


def write_csv(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[Column],
    fp: IO[str],
    *,
    chinese: bool = True,
    bom: bool = True,
) -> int:
    """CSV with a UTF-8 BOM (so Excel reads it as UTF-8); returns the number of rows."""
    if bom:
        fp.write("\ufeff")
    writer = csv.writer(fp, lineterminator="\r\n")
    writer.writerow(_headers(columns, chinese))
    n = 0
    for row in rows:
        writer.writerow([_csv_cell(row.get(c.key), c, chinese) for c in columns])
        n += 1
    return n


def write_json(rows: Iterable[dict[str, Any]], fp: IO[str]) -> int:
    rows = list(rows)
    json.dump(rows, fp, ensure_ascii=False, indent=2, default=str)
    fp.write("\n")
    return len(rows)


def display_width(text: str) -> int:
    """Columns a string takes in a spreadsheet: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _xlsx_value(value: Any, col: Column, chinese: bool) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return None
    if col.kind == "int" and isinstance(value, (int, float)):
        return value
    if col.kind == "date":
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
    if col.kind == "json" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", _text(value, col, chinese))
    return text[:32000]  # Excel's cell limit is 32767 characters


def write_xlsx(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[Column],
    dest: str | Path | IO[bytes],
    *,
    chinese: bool = True,
    sheet_title: str = "导出",
) -> int:
    """An XLSX workbook: bold frozen header row, autofilter over the data, widths fitted to content."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title
    headers = _headers(columns, chinese)
    ws.append(headers)
    widths = [display_width(h) for h in headers]
    n = 0
    for row in rows:
        values = [_xlsx_value(row.get(c.key), c, chinese) for c in columns]
        ws.append(values)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text: never a formula (openpyxl reads "=..." as one)
        n += 1
        if n <= 2000:  # widths from a sample are enough
            for i, v in enumerate(values):
                w = 10 if isinstance(v, dt.date) else display_width(str(v)) if v is not None else 0
                widths[i] = max(widths[i], w)
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = min(max(widths[i - 1] + 2, 6), 60)
        if col.kind == "date":
            for cell in ws[letter][1:]:
                cell.number_format = "yyyy-mm-dd"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{n + 1}"
    wb.save(dest)
    return n


# ---------------------------------------------------------------- noncompliant agencies (workbench)

NONCOMPLIANT_COLUMNS: list[Column] = [
    Column("province", "省份"),
    Column("prefecture", "地市"),
    Column("county", "区县"),
    Column("region_code", "行政区划代码"),
    Column("agency", "机构"),
    Column("level", "层级", LEVEL_LABELS),
    Column("year", "年度", kind="int"),
    Column("url", "报告链接"),
    Column("published", "发布日期", kind="date"),
    Column("deadline", "截止日期", kind="date"),
    Column("days_late", "逾期天数", kind="int"),
    Column("findings", "问题", kind="list"),
    Column("n_findings", "问题数", kind="int"),
    Column("n_errors", "错误数", kind="int"),
    Column("n_warnings", "警告数", kind="int"),
    Column("n_confirmed", "已确认数", kind="int"),
    Column("n_pending", "待审核数", kind="int"),
]
COLUMNS["noncompliant"] = NONCOMPLIANT_COLUMNS


def _lineage_names(code: str | None, cache: dict[str, tuple[Any, ...]]) -> tuple[Any, ...]:
    """(province, prefecture, county names; province, prefecture, county codes) of a region code."""
    if not code:
        return (None,) * 6
    if code not in cache:
        try:
            lin = lineage(code)
        except Exception:  # noqa: BLE001 - no registry: fall back to the agency row
            lin = (None, None, None)
        cache[code] = tuple(r.name if r else None for r in lin) + tuple(r.code if r else None for r in lin)
    return cache[code]


def export_noncompliant(
    store: Store,
    *,
    year: int,
    status: str = "confirmed",
    region: str | None = None,
    level: str | None = None,
    severities: Sequence[str] = ("error", "warning"),
    include_missing: bool | None = None,
    rule_titles: dict[str, str] | None = None,
    agency_ids: Collection[int] | None = None,
) -> list[dict[str, Any]]:
    """One row per agency with findings to send up the chain for ``year``.

    ``status='confirmed'``: findings a reviewer confirmed (any severity).  ``status='open'``:
    every finding not dismissed, of the given ``severities``, plus (``include_missing``, default
    on for ``open``) agencies without any report for the year, unless the history rules have
    run over the store: then their MISSING_REPORT findings decide (a year not yet due is not
    missing).  ``region`` (a division code)
    keeps agencies in or below it; ``level`` keeps one agency level; ``agency_ids`` (an account's
    region scope) keeps only those agencies.  Findings are given in
    Chinese (rule title and message).
    """
    if status not in ("confirmed", "open", *RECTIFY_STATES):
        raise ValueError(f"status must be 'confirmed', 'open' or a 整改 state, not {status!r}")
    if include_missing is None:
        include_missing = status == "open"
    if rule_titles is None:
        rule_titles = labels.rule_titles()
    review = "COALESCE(v.status, 'pending')"
    active = "f.active = 1"
    if status in RECTIFY_STATES:  # by 整改 state: the finding as notified (a rectified one is no longer active)
        active = "f.report_id = x.report_id" if status == "rectified" else active
        cond, params = "x.state = ?", [status]
    elif status == "confirmed":
        cond, params = f"{review} = 'confirmed'", []
    else:
        marks = ",".join("?" * len(severities)) or "NULL"
        cond, params = f"{review} != 'dismissed' AND f.severity IN ({marks})", list(severities)
    found = store.query(
        f"""SELECT f.agency_id, f.agency, f.rule, f.severity, f.message, f.location, {review} AS review
            FROM findings f LEFT JOIN reviews v ON v.fingerprint = f.fingerprint
            LEFT JOIN rectifications x ON x.fingerprint = f.fingerprint
            WHERE {active} AND f.year = ? AND f.agency_id IS NOT NULL AND {cond}
            ORDER BY CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, f.rule, f.id""",
        [year, *params],
    )
    by_agency: dict[int, list[dict[str, Any]]] = {}
    for f in found:
        by_agency.setdefault(f["agency_id"], []).append(f)
    reports = {
        r["agency_id"]: r
        for r in store.query(
            """SELECT r.agency_id, COALESCE(r.url, d.url) AS url, r.published, r.deadline, r.days_late
               FROM reports r JOIN documents d ON d.id = r.document_id
               WHERE r.current = 1 AND r.is_report = 1 AND r.year = ? AND r.agency_id IS NOT NULL""",
            (year,),
        )
    }
    wanted = set(by_agency)
    if include_missing and not history_audited(store):
        # before any history audit, absence is all we know; after one, the stored MISSING_REPORT
        # findings (already in ``by_agency``) say which years are due (see nianbao.workbench.overview)
        wanted |= {a["id"] for a in store.query("SELECT id FROM agencies")} - set(reports)
    if agency_ids is not None:
        wanted &= set(agency_ids)
    if not wanted:
        return []
    agencies = {
        a["id"]: a
        for a in store.query(
            "SELECT id, name, level, region_code, province, prefecture, county FROM agencies"
        )
        if a["id"] in wanted
    }
    cache: dict[str, tuple[Any, ...]] = {}
    rows: list[dict[str, Any]] = []
    for agency_id, a in agencies.items():
        if level and a["level"] != level:
            continue
        prov, pref, cty, prov_code, pref_code, cty_code = _lineage_names(a["region_code"], cache)
        if region and region not in (a["region_code"], prov_code, pref_code, cty_code, prov, pref, cty):
            continue
        rep = reports.get(agency_id)
        items = by_agency.get(agency_id, [])
        texts = [
            f"【{SEVERITY_LABELS.get(f['severity'], f['severity'])}】{rule_titles.get(f['rule'], f['rule'])}："
            f"{f['message'] or f['location'] or ''}"
            for f in items
        ]
        if rep is None and not any(f["rule"] == "MISSING_REPORT" for f in items):
            texts.insert(0, f"【错误】{rule_titles.get('MISSING_REPORT', '未发布年度报告')}：未发现{year}年度报告")
        rows.append(
            {
                "province": prov or a["province"],
                "prefecture": pref or a["prefecture"],
                "county": cty or a["county"],
                "region_code": a["region_code"],
                "agency": a["name"],
                "level": a["level"],
                "year": year,
                "url": rep["url"] if rep else None,
                "published": rep["published"] if rep else None,
                "deadline": rep["deadline"] if rep else None,
                "days_late": rep["days_late"] if rep else None,
                "findings": texts,
                "n_findings": len(texts),
                "n_errors": sum(f["severity"] == "error" for f in items) + (len(texts) - len(items)),
                "n_warnings": sum(f["severity"] == "warning" for f in items),
                "n_confirmed": sum(f["review"] == "confirmed" for f in items),
                "n_pending": sum(f["review"] == "pending" for f in items),
            }
        )
    rows.sort(key=lambda r: (r["region_code"] or "999999", r["agency"]))
    return rows
