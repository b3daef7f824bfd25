"""``nianbao notice``: the 通报 draft of a region and report year as DOCX (and PDF)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from nianbao.storage.store import Store
from nianbao.workbench import notice as notice_mod
from nianbao.workbench.notice_docx import to_pdf, write_docx
from nianbao.workbench.views.scores import ranking_rows


@click.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False, exists=True),
              default=lambda: os.environ.get("NIANBAO_DB", "nianbao.db"), show_default="$NIANBAO_DB or nianbao.db",
              help="SQLite database file.")  # fmt: skip
@click.option("--region", required=True, help="Division code of the province, prefecture or county (e.g. 210300).")
@click.option("--year", required=True, type=int, help="Report year.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="DOCX file to write.")
@click.option("--deadline", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="整改 deadline (YYYY-MM-DD); default 30 days from today.")  # fmt: skip
@click.option("--include-open", is_flag=True, help="Also name findings not yet reviewed (marked 待审核).")
@click.option("--pdf", "make_pdf", is_flag=True, help="Also write a PDF beside it (LibreOffice).")
def notice(db_path: str, region: str, year: int, output: str, deadline: dt.datetime | None,
           include_open: bool, make_pdf: bool) -> None:  # fmt: skip
    """Draft the 通报 of a region for a report year from its confirmed findings."""
    due = deadline.date() if deadline else dt.date.today() + dt.timedelta(days=30)
    with Store(db_path) as store:
        try:
            n = notice_mod.collect(store, region=region, year=year, deadline=due, include_open=include_open,
                                   scores=ranking_rows(store, region, year))
        except ValueError as e:
            raise click.UsageError(str(e)) from e
    out = Path(output)
    write_docx(n, out)
    click.echo(f"已生成通报：{out}（{n.figures['agencies']} 家单位，确认问题 {n.figures['confirmed']} 个）")
    if make_pdf:
        click.echo(f"已生成 PDF：{to_pdf(out, out.parent)}")
