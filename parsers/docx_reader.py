"""Word (DOCX) into blocks: body paragraphs and tables in document order (python-docx).

Tables are read from the WordprocessingML grid itself: ``gridSpan`` (colspan), ``vMerge``
(rowspan) and ``gridBefore``/``gridAfter`` give each cell its grid positions, and a merged
cell is repeated in every position it covers.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from nianbao.parsers.blocks import Extracted, GridBlock, GridCell, TextBlock
from nianbao.parsers.errors import UnreadableDocument
from nianbao.parsers.layout_geom import fix_lookalikes, join_cjk

MAX_UNZIPPED = 200 * 1024 * 1024  # all parts together, as actually inflated (declared sizes can lie)
MAX_XML = 40 * 1024 * 1024  # the XML parts together (parsed into trees: ~10x in memory)
MAX_RATIO = 200  # a part inflating more than this is a zip bomb, not a document
MAX_TABLE_CELLS = 200_000
_CHUNK = 1 << 20

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _inflate_count(data: bytes, info: zipfile.ZipInfo, limit: int) -> int:
    """Bytes the part really inflates to (stops counting past ``limit``); trusts no declared size."""
    off = info.header_offset
    if data[off:off + 4] != b"PK\x03\x04":
        raise ValueError(f"part {info.filename} has no local header")
    n, e = struct.unpack_from("<HH", data, off + 26)
    start = off + 30 + n + e
    raw = data[start:start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        return len(raw)
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise ValueError(f"part {info.filename} uses compression method {info.compress_type}")
    d = zlib.decompressobj(-15)
    total, buf = 0, raw
    while buf and total <= limit:
        total += len(d.decompress(buf, _CHUNK))
        buf = d.unconsumed_tail
    return total


def check_zip(data: bytes, source: str, kind: str = "Office") -> None:
    """Refuse broken zips and decompression bombs before any XML is parsed.

    Every part is inflated here in bounded chunks and what it really yields is counted: the
    sizes in the zip directory are the sender's word and a bomb lies about them.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise UnreadableDocument(source, f"damaged {kind} file (broken zip: {e})") from e
    total = xml = 0
    for info in infos:
        try:
            got = _inflate_count(data, info, MAX_UNZIPPED - total)
        except (ValueError, OSError, zlib.error, struct.error) as e:
            raise UnreadableDocument(source, f"damaged {kind} file ({e})") from e
        if got > 10 * 1024 * 1024 and got > MAX_RATIO * max(info.compress_size, 1):
            raise UnreadableDocument(source, f"zip bomb: part {info.filename} inflates to over {got:,} bytes "
                                             f"from {info.compress_size:,}")
        if got != info.file_size:
            raise UnreadableDocument(source, f"damaged {kind} file: part {info.filename} declares "
                                             f"{info.file_size:,} bytes but inflates to {got:,}")
        total += got
        if total > MAX_UNZIPPED:
            raise UnreadableDocument(source, f"{kind} file inflates beyond {MAX_UNZIPPED >> 20} MB")
        if info.filename.endswith((".xml", ".rels", ".vml")):
            xml += got
            if xml > MAX_XML:
                raise UnreadableDocument(source, f"{kind} file's XML parts inflate beyond {MAX_XML >> 20} MB")


def read_docx(data: bytes, source: str) -> Extracted:
    """Read a DOCX's bytes; raises :class:`UnreadableDocument` when it cannot be opened."""
    import docx

    check_zip(data, source, "DOCX")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:  # KeyError, ValueError, lxml errors, PackageNotFoundError...
        raise UnreadableDocument(source, f"damaged DOCX ({type(e).__name__}: {e})"[:300]) from e
    out = Extracted(read_by="docx")
    props = document.core_properties
    for key in ("title", "author", "subject"):
        val = getattr(props, key, None)
        if val:
            out.meta[key.capitalize()] = fix_lookalikes(str(val))
    for key in ("created", "modified"):
        val = getattr(props, key, None)
        if val:
            out.meta[key.capitalize()] = val.isoformat()
    out.title = out.meta.get("Title")
    out.blocks = list(_body_blocks(document.element.body, source))
    return out


def _body_blocks(container, source: str):
    """Paragraphs and tables in order; content controls (``w:sdt``) are looked into."""
    for child in container.iterchildren():
        tag = child.tag
        if tag == _W + "p":
            text = _para_text(child)
            if text:
                yield TextBlock(text)
        elif tag == _W + "tbl":
            grid = _table_grid(child, source)
            if grid.rows:
                yield grid
        elif tag == _W + "sdt":
            content = child.find(_W + "sdtContent")
            if content is not None:
                yield from _body_blocks(content, source)


def _para_text(p) -> str:
    parts = []
    for node in p.iter(_W + "t", _W + "tab", _W + "br", _W + "cr"):
        if node.tag == _W + "t":
            parts.append(node.text or "")
        elif node.tag == _W + "tab":
            parts.append("\t")
        else:
            parts.append("\n")
    return fix_lookalikes("".join(parts)).strip()


def _cell_text(tc) -> str:
    """A cell's paragraphs (nested tables included) joined as wrapped lines are."""
    text = ""
    for p in tc.iter(_W + "p"):
        text = join_cjk(text, _para_text(p))
    return text


def _val(el, name: str) -> str | None:
    if el is None:
        return None
    node = el.find(_W + name)
    if node is None:
        return None
    return node.get(_W + "val", "")


def _int(v: str | None, default: int) -> int:
    try:
        return max(int(v), 0) if v not in (None, "") else default
    except ValueError:
        return default


def _table_grid(tbl, source: str) -> GridBlock:
    rows: list[list[GridCell | None]] = []
    ids: list[list[int]] = []  # which w:tc (merged cell) each grid position belongs to
    next_id = 0
    for tr in tbl.iterchildren(_W + "tr"):
        trpr = tr.find(_W + "trPr")
        before = _int(_val(trpr, "gridBefore"), 0)
        row: list[GridCell | None] = [None] * before
        rid: list[int] = list(range(-1, -1 - before, -1))
        for tc in _row_cells(tr):
            tcpr = tc.find(_W + "tcPr")
            span = max(_int(_val(tcpr, "gridSpan"), 1), 1)
            vmerge = _val(tcpr, "vMerge")
            col = len(row)
            if vmerge is not None and vmerge != "restart" and rows and col < len(rows[-1]):
                above = rows[-1][col]
                text = above.text if above is not None else ""
                row.extend(GridCell(text, span_origin=False) for _ in range(span))
                rid.extend([ids[-1][col]] * span)
            else:
                text = _cell_text(tc)
                row.append(GridCell(text))
                row.extend(GridCell(text, span_origin=False) for _ in range(span - 1))
                next_id += 1
                rid.extend([next_id] * span)
            if len(row) * (len(rows) + 1) > MAX_TABLE_CELLS:
                raise UnreadableDocument(source, "table too large")
        after = _int(_val(trpr, "gridAfter"), 0)
        row.extend([None] * after)
        rid.extend(range(-1000 - len(rid), -1000 - len(rid) - after, -1))
        rows.append(row)
        ids.append(rid)
    width = max((len(r) for r in rows), default=0)
    grid = [[c if c is not None else GridCell("") for c in r] + [GridCell("") for _ in range(width - len(r))] for r in rows]
    ids = [r + list(range(-5000 - i * width, -5000 - i * width - (width - len(r)), -1)) for i, r in enumerate(ids)]
    widths = [_int(g.get(_W + "w"), 1000) for g in tbl.iter(_W + "gridCol")]
    return GridBlock(rows=_drop_redundant_columns(grid, ids, widths))


def _drop_redundant_columns(
    grid: list[list[GridCell]], ids: list[list[int]], widths: list[int]
) -> list[list[GridCell]]:
    """Remove grid columns that are slivers (under 0.5 mm wide) or in every row belong to the
    same cell as a neighbour column: extra grid lines a word processor keeps after editing,
    invisible in the printed table."""
    width = len(grid[0]) if grid else 0
    for pass_ in ("sliver", "shared"):
        c = 0
        while c < width and width > 1:
            def shared(r: int, c: int = c, width: int = width) -> bool:
                return (c > 0 and ids[r][c] == ids[r][c - 1]) or (c + 1 < width and ids[r][c] == ids[r][c + 1])

            if pass_ == "sliver":
                drop = len(widths) == width and widths[c] < 30
            else:
                drop = all(shared(r) for r in range(len(grid)))
            if not drop:
                c += 1
                continue
            for r in range(len(grid)):
                if grid[r][c].span_origin and c + 1 < width and ids[r][c + 1] == ids[r][c]:
                    grid[r][c + 1].span_origin = True
                del grid[r][c]
                del ids[r][c]
            if len(widths) == width:
                del widths[c]
            width -= 1
    return grid


def _row_cells(tr):
    """The ``w:tc`` of a row, looking into content controls and custom XML wrappers."""
    for child in tr.iterchildren():
        if child.tag == _W + "tc":
            yield child
        elif child.tag in (_W + "sdt", _W + "customXml"):
            content = child.find(_W + "sdtContent") if child.tag == _W + "sdt" else child
            if content is not None:
                yield from _row_cells(content)

