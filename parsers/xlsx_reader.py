"""Excel (XLSX) into blocks: every sheet's used range as one grid, merged ranges repeated."""

from __future__ import annotations

import io

from nianbao.parsers.blocks import Extracted, GridBlock, GridCell, TextBlock
from nianbao.parsers.docx_reader import check_zip
from nianbao.parsers.errors import UnreadableDocument
from nianbao.parsers.layout_geom import drop_redundant, fix_lookalikes

MAX_CELLS = 200_000  # per sheet (rows x columns of the used range)


def read_xlsx(data: bytes, source: str) -> Extracted:
    """Read an XLSX's bytes; raises :class:`UnreadableDocument` when it cannot be opened."""
    import openpyxl

    check_zip(data, source)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as e:
        raise UnreadableDocument(source, f"broken XLSX ({type(e).__name__}: {e})"[:300]) from e
    out = Extracted(read_by="xlsx")
    if wb.properties is not None and wb.properties.title:
        out.title = out.meta["Title"] = fix_lookalikes(str(wb.properties.title))
    for ws in wb.worksheets:
        nrows, ncols = ws.max_row or 0, ws.max_column or 0
        if nrows * ncols > MAX_CELLS:
            raise UnreadableDocument(source, f"sheet {ws.title!r} has {nrows}x{ncols} cells (limit {MAX_CELLS})")
        rows = [[GridCell(_text(v)) for v in r] for r in ws.iter_rows(max_row=nrows, max_col=ncols, values_only=True)]
        for rng in ws.merged_cells.ranges:
            origin = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= nrows and rng.min_col <= ncols else None
            if origin is None:
                continue
            for r in range(rng.min_row, min(rng.max_row, nrows) + 1):
                for c in range(rng.min_col, min(rng.max_col, ncols) + 1):
                    if (r, c) != (rng.min_row, rng.min_col):
                        rows[r - 1][c - 1] = GridCell(origin.text, span_origin=False)
        rows = [r for r in rows if any(c.text for c in r)]
        if not rows:
            continue
        out.blocks.append(TextBlock(ws.title))
        # A row with text in one cell only (a title or a note above the table) is running text.
        table: list[list[GridCell]] = []
        for r in rows:
            distinct = {c.text for c in r if c.text}
            if len(distinct) == 1 and not table and sum(1 for c in r if c.span_origin and c.text) == 1:
                out.blocks.append(TextBlock(next(iter(distinct))))
            else:
                table.append(r)
        if table:
            out.blocks.append(drop_redundant(GridBlock(rows=table)))
    return out


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return fix_lookalikes(str(v)).strip()
