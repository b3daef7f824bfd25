"""Helpers for the attachment tests: a generated report, its files, and grid comparison."""

from __future__ import annotations

import random
import re

from nianbao.parsers.blocks import Extracted, GridBlock
from nianbao.parsers.numbers import parse_cell
from nianbao.sandbox.render_office import Spec, official_grids


def make_report(seed: int = 7, year: int = 2023):
    """A consistent generated report (nianbao.sandbox.reports), non-trivial numbers."""
    from nianbao.sandbox.reports import build_report

    gen = build_report("某某县人民政府", "government", year, random.Random(seed), county="某某县", portal="www.example.gov.cn")
    return gen.report


def tables_of(ex: Extracted) -> list[list[list]]:
    """Grid blocks joined into tables: consecutive blocks of the same width are one table
    (continued over a page break)."""
    out: list[list[list]] = []
    last_width = None
    for b in ex.blocks:
        if not isinstance(b, GridBlock) or not b.rows:
            last_width = None if not isinstance(b, GridBlock) else last_width
            continue
        width = len(b.rows[0])
        if out and width == last_width:
            out[-1].extend(b.rows)
        else:
            out.append(list(b.rows))
        last_width = width
    return out


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）").replace(",", "，").replace(":", "：")


def compare(specs: dict[str, Spec], ex: Extracted, *, low_confidence: float = 0.8) -> dict:
    """Compare every value cell of the official tables with what the reader found.

    Returns counts: ``right``, ``missed`` (empty, not a number, or below ``low_confidence``:
    the mapping makes it null/unreadable), ``wrong`` (a different number read with
    confidence: the failure that matters) and the wrong cells.
    """
    tables = tables_of(ex)
    wanted = [specs["2"], specs["3"], specs["4"]]
    stats = {"right": 0, "missed": 0, "wrong": 0, "errors": [], "label_errors": []}
    for spec in wanted:
        width = len(spec.rows[0])
        match = next((t for t in tables if len(t[0]) == width and len(t) == len(spec.rows)), None)
        for (r, c), addr in spec.values.items():
            want = spec.rows[r][c]
            if match is None:
                stats["missed"] += 1
                stats["errors"].append((addr, want, "<no table>"))
                continue
            cell = match[r][c]
            kind = "money" if addr[2] == "amount" else "signed" if addr[2] == "change" else "count"
            got = parse_cell(cell.text, kind) if cell.text.strip() else None
            if cell.text.strip() and cell.confidence is not None and cell.confidence < low_confidence:
                stats["missed"] += 1  # the mapping makes it unreadable
            elif cell.text.strip() == want or (got is not None and got.status == "ok"
                                             and got.value == parse_cell(want, kind).value):
                stats["right"] += 1
            elif got is None or got.status != "ok" or (cell.confidence is not None and cell.confidence < low_confidence):
                stats["missed"] += 1  # the mapping makes it unreadable (or blank): null, not a wrong number
            else:
                stats["wrong"] += 1
                stats["errors"].append((addr, want, cell.text, cell.confidence))
        if match is not None:
            for r, row in enumerate(spec.rows):
                for c, text in enumerate(row):
                    if (r, c) not in spec.values and norm(match[r][c].text) != norm(text):
                        stats["label_errors"].append((r, c, text, match[r][c].text))
    return stats


__all__ = ["compare", "make_report", "official_grids", "tables_of"]
