"""``nianbao ingest`` and ``nianbao export``: thin Click wrappers over :mod:`storage`."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

import click

from nianbao import intake
from nianbao.cli import parse_settings
from nianbao.inputs import InputRefused, read_input, shown, walk
from nianbao.storage import exports
from nianbao.storage.exports import COLUMNS, export_noncompliant, write_csv, write_json, write_xlsx
from nianbao.storage.store import Store

DEFAULT_DB = "nianbao.db"
_db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    default=lambda: os.environ.get("NIANBAO_DB", DEFAULT_DB),
    show_default=f"$NIANBAO_DB or {DEFAULT_DB}",
    help="SQLite database file (created and migrated if needed).",
)


def _expand(paths: tuple[str, ...]) -> list[tuple[Path, Path | None]]:
    """(file, the folder it was found in) for files as given and folders walked (sorted, hidden skipped)."""

    return list(walk(paths))


def _errors_without(source: str, errors: list[str]) -> str:
    """A report's errors for a line that already names the file (each error starts with it)."""
    return "；".join(e[len(source) + 2:] if e.startswith(source + ": ") else e for e in errors)


READ_BY = {"text": "文本", "html": "网页", "pdf": "PDF", "docx": "Word", "xlsx": "Excel", "ocr": "OCR"}


def _summary(path: Path, report) -> str:
    """One Chinese line describing what was stored."""
    if not report.is_report:
        return f"✓ {shown(path)}：不是政府信息公开工作年度报告（已记录）"
    sev = Counter(f.severity for f in report.findings)
    who = report.agency or "未识别机构"
    year = f"{report.year}年度" if report.year else "年度未知"
    layout = f"{report.layout}版式" if report.layout else "版式未知"
    published = f"，发布于{report.published.isoformat()}" if report.published else ""
    return (
        f"✓ {shown(path)}：{who} {year}（{layout}，{READ_BY.get(report.read_by, report.read_by)}读取{published}），"
        f"{len(report.findings)} 项问题（错误 {sev['error']}，警告 {sev['warning']}，提示 {sev['info']}）"
    )


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_db_option
@click.option("--agency", help="Agency the documents belong to, when they do not say (a hint).")
@click.option(
    "--level",
    type=click.Choice(["province", "city", "county", "township", "department"]),
    help="Administrative level of that agency.",
)
@click.option("--region", help="6-digit region code or region name of that agency.")
@click.option("--url", help="URL the (single) document was published at.")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Rule setting, e.g. -s NIANBAO_RULE_LATE_GRACE_DAYS=5 (as for crawl).")
def ingest(
    paths: tuple[str, ...],
    db_path: str,
    agency: str | None,
    level: str | None,
    region: str | None,
    url: str | None,
    settings: tuple[str, ...],
) -> None:
    """Read, audit and store documents (files or folders) in the database.

    Prints one line per file; a file that cannot be read is named with the reason and the others
    are still processed.  Exits non-zero only when no file could be read.
    """

    files = _expand(paths)
    if url and len(files) != 1:
        raise click.UsageError("--url needs exactly one file")
    hints = {"agency": agency} if agency else {}
    try:
        given = parse_settings(settings)
        intake.rule_settings(given)  # an unknown or malformed rule setting stops here, before any file
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="-s") from exc
    ok = failed = findings = 0
    started = time.perf_counter()
    with Store(db_path) as store:
        run_id = store.start_run("ingest", {"paths": list(paths), "agency": agency})
        for path, root in files:
            try:
                body = read_input(path, root)
            except InputRefused as exc:
                failed += 1
                click.echo(f"✗ {shown(path)}：{exc.reason}", err=True)
                continue
            except OSError as exc:
                failed += 1
                click.echo(f"✗ 无法读取 {shown(path)}：{exc.strerror or exc}", err=True)
                continue
            try:
                _, report = intake.ingest_bytes(store, body, str(path), url=url, hints=hints, level=level,
                                                region=region, run_id=run_id, settings=given)  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
                failed += 1
                click.echo(f"✗ 无法读取 {shown(path)}：{type(exc).__name__}: {shown(str(exc))}", err=True)
                continue
            if report.errors:
                failed += 1
                why = shown(_errors_without(str(path), report.errors))
                click.echo(f"✗ 无法读取 {shown(path)}：{why}（已记录）", err=True)
                continue
            ok += 1
            findings += len(report.findings)
            click.echo(_summary(path, report))
        seconds = round(time.perf_counter() - started, 2)
        store.finish_run(
            run_id,
            {"files": len(files), "stored": ok, "failed": failed, "findings": findings, "seconds": seconds},
        )
    click.echo(
        f"共 {len(files)} 个文件：读取入库 {ok} 个，失败 {failed} 个，问题 {findings} 项；数据库 {db_path}"
    )
    if ok == 0:
        sys.exit(1)


@click.command()
@click.argument("what", type=click.Choice(["reports", "findings", "noncompliant"]))
@_db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv", show_default=True)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Output file (stdout for csv/json if omitted)."
)
@click.option(
    "--headers",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Column headers (and coded values) in Chinese or as English keys (csv/xlsx).",
)
@click.option("--year", type=int, help="Only this report year.")
@click.option("--agency", help="Only agencies whose name contains this.")
@click.option("--rule", help="Only this rule (reports: having a finding of it).")
@click.option(
    "--severity", type=click.Choice(["error", "warning", "info"]), help="Findings: only this severity."
)
@click.option(
    "--all",
    "include_all",
    is_flag=True,
    help="Include superseded reports and inactive findings (and non-reports).",
)
@click.option(
    "--status",
    type=click.Choice(["confirmed", "open"]),
    default="confirmed",
    show_default=True,
    help="Noncompliant: confirmed findings only, or every finding not dismissed (and missing reports).",
)
@click.option("--region", help="Only agencies in this division code or province/prefecture/county (and below).")
def export(
    what: str,
    db_path: str,
    fmt: str,
    output: str | None,
    headers: str,
    year: int | None,
    agency: str | None,
    rule: str | None,
    severity: str | None,
    include_all: bool,
    status: str,
    region: str | None,
) -> None:
    """Export REPORTS, FINDINGS or NONCOMPLIANT agencies (one row each) as CSV (UTF-8 with BOM), JSON or XLSX."""

    if not Path(db_path).is_file():
        raise click.ClickException(f"数据库不存在：{db_path}")
    if fmt == "xlsx" and not output:
        raise click.UsageError("xlsx needs -o FILE")
    if what == "noncompliant" and year is None:
        raise click.UsageError("noncompliant needs --year")
    with Store(db_path) as store:
        if what == "noncompliant":
            rows = export_noncompliant(store, year=year, status=status, region=region)
        elif what == "reports":
            rows = exports.export_reports(store,
                year=year,
                agency=agency,
                rule=rule,
                current_only=not include_all,
                reports_only=not include_all,
                region=region,
            )
        else:
            rows = exports.export_findings(store,
                year=year, agency=agency, rule=rule, severity=severity, active_only=not include_all,
                region=region,
            )
    chinese = headers == "zh"
    columns = COLUMNS[what]
    if fmt == "xlsx":
        n = write_xlsx(
            rows, columns, output, chinese=chinese, sheet_title={"reports": "年报", "findings": "问题"}.get(what, "未达标机构")
        )
    elif output:
        with open(output, "w", encoding="utf-8", newline="") as fp:
            n = write_csv(rows, columns, fp, chinese=chinese) if fmt == "csv" else write_json(rows, fp)
    else:
        out = sys.stdout
        if hasattr(out, "reconfigure") and (out.encoding or "").lower().replace("-", "") != "utf8":
            out.reconfigure(encoding="utf-8")
        n = write_csv(rows, columns, out, chinese=chinese) if fmt == "csv" else write_json(rows, out)
        out.flush()
    if output:
        click.echo(f"已导出 {n} 行到 {output}", err=True)
