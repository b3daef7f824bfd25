"""Excel (XLSX) into blocks: every sheet's used range as one grid, merged ranges repeated."""

from __future__ import annotations

import io
import re

from nianbao.parsers.blocks import Extracted, GridBlock, GridCell, TextBlock
from nianbao.parsers.docx_reader import check_zip
from nianbao.parsers.errors import UnreadableDocument
from nianbao.parsers.layout_geom import drop_redundant, fix_lookalikes

MAX_CELLS = 200_000  # per sheet (rows x columns of the used range)


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REF = re.compile(r"([A-Z]{1,3})(\d+)$")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def check_sheets(data: bytes, source: str, limit: int = MAX_CELLS) -> None:
    """Stream every worksheet's XML and refuse one whose used range passes ``limit`` cells.

    Counted while streaming (rows and cells cleared as they pass), before openpyxl loads the
    workbook: a sheet of a million rows is refused in seconds, not after half a gigabyte.
    """
    import zipfile

    from lxml import etree

    zf = zipfile.ZipFile(io.BytesIO(data))
    for name in zf.namelist():
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        max_row = max_col = cells = 0
        with zf.open(name) as fh:
            for _event, el in etree.iterparse(fh, events=("end",), tag=(_NS + "row", _NS + "c"),
                                              resolve_entities=False, huge_tree=False):  # fmt: skip
                ref = el.get("r") or ""
                if el.tag == _NS + "c":
                    cells += 1
                    m = _REF.match(ref)
                    if m:
                        max_col = max(max_col, _col_number(m.group(1)))
                    continue
                max_row = max(max_row + (0 if ref.isdigit() else 1), int(ref) if ref.isdigit() else 0)
                el.clear(keep_tail=False)
                if cells > limit or max_row * max(max_col, 1) > limit:
                    raise UnreadableDocument(source, f"sheet {name.rsplit('/', 1)[-1]} has over {max_row:,} rows "
                                                     f"x {max(max_col, 1)} columns (limit {limit} cells)")


def read_xlsx(data: bytes, source: str) -> Extracted:
    """Read an XLSX's bytes; raises :class:`UnreadableDocument` when it cannot be opened."""
    import openpyxl

    check_zip(data, source, "XLSX")
    check_sheets(data, source)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as e:
        raise UnreadableDocument(source, f"damaged XLSX ({type(e).__name__}: {e})"[:300]) from e
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
