"""``nianbao parse PATH... [--json]``: read documents, audit them, print the result."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from nianbao.inputs import InputRefused, read_input, shown
from nianbao.layouts import APPEAL_GROUPS, APPLICATION_ROWS, DISCLOSURE_COLUMNS, DISCLOSURE_ROWS
from nianbao.model import Report
from nianbao.parsers.dispatch import read_document
from nianbao.rules.registry import audit

__all__ = ["audit_report", "parse", "summary"]

def audit_report(report: Report) -> None:
    """Set ``report.findings`` from the rules."""
    audit(report)


def _fmt(cell) -> str:
    if cell.status == "blank":
        return "空"
    if cell.status == "unreadable":
        return "?"
    v = cell.value
    return f"{v:g}" if isinstance(v, float) else str(v)


def summary(report: Report) -> str:
    """A readable Chinese summary of one report."""
    lines = [f"== {report.source}"]
    if report.errors:
        lines.extend(f"  错误：{e}" for e in report.errors)
    if not report.is_report:
        lines.append("  不是政府信息公开工作年度报告" + (f"（{report.title}）" if report.title else ""))
        return "\n".join(lines)
    lines.append(f"  机关：{report.agency or '未识别'}    年度：{report.year or '未识别'}    格式：{report.layout or '旧格式/无表格'}")
    pub = f"{report.published}（{_source_cn(report.published_source)}）" if report.published else "未找到"
    lines.append(f"  发布日期：{pub}    读取方式：{report.read_by}    章节：{'、'.join(sorted(report.sections)) or '无'}")
    layout = report.layout or "2021"
    if report.disclosure:
        lines.append("  二、主动公开：")
        for row, cols in report.disclosure.items():
            label = DISCLOSURE_ROWS.get(layout, {}).get(row, (row,))[0]
            vals = "，".join(f"{DISCLOSURE_COLUMNS.get(c, c)} {_fmt(cell)}" for c, cell in cols.items())
            lines.append(f"    {label}：{vals}")
    if report.applications:
        lines.append("  三、依申请（自然人/商业企业/科研机构/社会公益组织/法律服务机构/其他/总计）：")
        labels = APPLICATION_ROWS.get(layout, APPLICATION_ROWS["2021"])
        for row, cols in report.applications.items():
            lines.append(f"    {labels.get(row, row)[:24]:<26}" + " ".join(f"{_fmt(c):>5}" for c in cols.values()))
    if report.appeals:
        lines.append("  四、复议诉讼（维持/纠正/其他/未审结/总计）：")
        for g, cols in report.appeals.items():
            lines.append(f"    {APPEAL_GROUPS.get(g, g)}：" + " ".join(_fmt(c) for c in cols.values()))
    if report.findings:
        lines.append(f"  发现问题 {len(report.findings)} 项：")
        for f in report.findings:
            lines.append(f"    [{f.severity}] {f.rule} {f.where}：{f.message}")
    else:
        lines.append("  未发现问题")
    return "\n".join(lines)


def _source_cn(source: str | None) -> str:
    return {"meta": "页面元数据", "visible": "页面发布时间", "url": "网址日期", "signature": "落款日期", "list": "列表页日期"}.get(
        source or "", source or ""
    )


@click.command("parse")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array (the report-model.md contract).")
def parse(paths: tuple[str, ...], as_json: bool) -> None:
    """Read annual reports (text, HTML, PDF, Word…), audit them, and print what they say."""

    out = []
    readable = 0
    for path in paths:
        p = Path(path)
        try:
            data = read_input(p)
        except OSError as exc:
            why = exc.reason if isinstance(exc, InputRefused) else f"无法读取：{exc.strerror or exc}"
            click.echo(f"错误：{shown(path)}：{why}", err=True)
            report = Report(source=path, is_report=False)
            report.errors.append(f"{path}: cannot open ({exc.strerror or exc})")
            out.append(report)
            continue
        report = read_document(data, path)
        if report.errors:
            for e in report.errors:
                click.echo(f"错误：{shown(e)}", err=True)
        else:
            readable += 1
        audit_report(report)
        out.append(report)
    if as_json:
        json.dump([r.to_contract() for r in out], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        click.echo("\n\n".join(summary(r) for r in out))
    if readable == 0:
        sys.exit(1)
