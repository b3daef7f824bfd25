"""Reading and writing the registry's data files (the only I/O of the package).

Data directory layout (``regions/data/`` by default, or ``$NIANBAO_REGIONS_DIR``):

- ``areacodes.csv``: the current division code table (county level and above):
  ``code,name,level,province,prefecture_or_直辖,in_use_since``; ``level`` is 省级/地级/县级.
- ``portals.csv``: home pages of the people's governments, one row per code:
  ``code,name,portal_name,portal_url,effective_url,access_method_code,checked_at,xxgk_url,xxgk_kind,note``.
- ``uncoded_portals.csv``: governments' portals without a current code (兵团, 两江新区, the
  大兴安岭 districts): ``name,level,parent_code,portal_name,portal_url,access_method_code,checked_at,note``.
- ``report_columns.csv``: known 政府信息公开年报 columns: ``code,column_url,evidence_url,caveat``.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

PACKAGE_DATA = Path(__file__).with_name("data")
ENV_DIR = "NIANBAO_REGIONS_DIR"

AREACODE_FIELDS = ["code", "name", "level", "province", "prefecture_or_直辖", "in_use_since"]
PORTAL_FIELDS = ["code", "name", "portal_name", "portal_url", "effective_url", "access_method_code",
                 "checked_at", "xxgk_url", "xxgk_kind", "note"]
UNCODED_FIELDS = ["name", "level", "parent_code", "portal_name", "portal_url", "access_method_code",
                  "checked_at", "note"]
COLUMN_FIELDS = ["code", "column_url", "evidence_url", "caveat"]

LEVEL_ZH = {"province": "省级", "prefecture": "地级", "county": "县级"}
LEVEL_FROM_ZH = {v: k for k, v in LEVEL_ZH.items()}


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The directory to load from: ``path``, else ``$NIANBAO_REGIONS_DIR``, else the packaged one."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_DIR)
    return Path(env) if env else PACKAGE_DATA


def decode(data: bytes) -> tuple[str, str]:
    """Decode a user's CSV: UTF-8 (with or without BOM), else GB18030. Returns (text, encoding)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace"), "gb18030"


def read_rows(path: str | os.PathLike) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Read a CSV file into (header, [(line number, row)]); cells are stripped strings."""
    text, _ = decode(Path(path).read_bytes())
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        clean = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not any(clean.values()):
            continue
        rows.append((reader.line_num, clean))
    return header, rows


def write_rows(path: str | os.PathLike, fields: list[str], rows: list[dict[str, str]]) -> None:
    """Write rows as UTF-8 CSV with a header (atomically: a temp file then rename)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({f: row.get(f, "") or "" for f in fields})
    tmp.replace(path)


def load_tables(directory: str | os.PathLike | None = None) -> dict[str, list[dict[str, str]]]:
    """All four tables of a data directory (missing optional files read as empty)."""
    base = data_dir(directory)
    tables: dict[str, list[dict[str, str]]] = {}
    for key, name, required in (("areacodes", "areacodes.csv", True), ("portals", "portals.csv", False),
                                ("uncoded", "uncoded_portals.csv", False),
                                ("columns", "report_columns.csv", False)):
        path = base / name
        if not path.exists():
            if required:
                raise FileNotFoundError(f"区划代码表不存在：{path}")
            tables[key] = []
            continue
        with path.open(encoding="utf-8-sig", newline="") as fh:
            tables[key] = [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]
    return tables


# --- normalising the upstream formats -------------------------------------------------------

def derive_level(code: str) -> str:
    """Level from the code's shape: ``xx0000`` province, ``xxxx00`` prefecture, else county."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def normalise_areacodes(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """A code table in the registry's format from any table with at least ``code`` and
    ``name`` (``adcode`` is accepted for ``code``); missing columns are derived from the codes."""
    table = {}
    for row in rows:
        code = (row.get("code") or row.get("adcode") or "").strip()
        name = (row.get("name") or row.get("mca_name") or "").strip()
        if len(code) == 6 and code.isdigit() and name:
            table[code] = {"code": code, "name": name, "level": (row.get("level") or "").strip(),
                           "in_use_since": (row.get("in_use_since") or "").strip()}
    out = []
    for code in sorted(table):
        rec = table[code]
        level = LEVEL_FROM_ZH.get(rec["level"], rec["level"]) or derive_level(code)
        if level not in LEVEL_ZH:
            level = derive_level(code)
        province = table.get(code[:2] + "0000", {}).get("name", "")
        pref_row = table.get(code[:4] + "00")
        if level == "county":
            prefecture = pref_row["name"] if pref_row and pref_row["code"] != code[:2] + "0000" else "直辖"
        elif level == "prefecture":
            prefecture = rec["name"]
        else:
            prefecture = ""
        out.append({"code": code, "name": rec["name"], "level": LEVEL_ZH[level], "province": province,
                    "prefecture_or_直辖": prefecture, "in_use_since": rec["in_use_since"]})
    return out


def normalise_portals(rows: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Split a portal list (the upstream ``china_gov_portals_with_adcode.csv`` format or the
    registry's own) into (coded rows, uncoded rows) in the registry's format."""
    coded: list[dict[str, str]] = []
    uncoded: list[dict[str, str]] = []
    for row in rows:
        code = (row.get("code") or row.get("adcode") or "").strip()
        rec = {
            "code": code,
            "name": (row.get("name") or row.get("mca_name") or "").strip(),
            "portal_name": (row.get("portal_name") or "").strip(),
            "portal_url": (row.get("portal_url") or "").strip(),
            "effective_url": (row.get("effective_url") or "").strip(),
            "access_method_code": (row.get("access_method_code") or "").strip(),
            "checked_at": (row.get("checked_at") or "").strip(),
            "xxgk_url": (row.get("xxgk_url") or row.get("xxgk_or_policy_url") or "").strip(),
            "xxgk_kind": (row.get("xxgk_kind") or row.get("xxgk_or_policy_kind") or "").strip(),
            "note": (row.get("note") or "").strip(),
        }
        if code:
            coded.append(rec)
        elif rec["portal_url"]:
            path = (row.get("region_path") or "").split("/")
            rec["name"] = rec["name"] or (path[-1] if path else "") or rec["portal_name"].removesuffix("人民政府")
            rec["province"] = (row.get("province") or "").strip()
            rec["prefecture"] = (row.get("prefecture") or "").strip()
            rec["parent_code"] = (row.get("parent_code") or "").strip()
            rec["level"] = (row.get("level") or "").strip()
            uncoded.append(rec)
    coded.sort(key=lambda r: r["code"])
    return coded, uncoded


def resolve_uncoded(uncoded: list[dict[str, str]], areacodes: list[dict[str, str]]) -> list[dict[str, str]]:
    """Give uncoded portals a ``parent_code`` (their prefecture's, else their province's code)
    and a ``level`` (``county`` below a prefecture or in a municipality; a province-wide body
    such as 新疆生产建设兵团 is ``province``)."""
    by_name: dict[tuple[str, str], str] = {}
    for row in areacodes:
        by_name[(row["province"] if row["level"] != "省级" else row["name"], row["name"])] = row["code"]
    out = []
    for rec in uncoded:
        rec = dict(rec)
        if not rec.get("parent_code"):
            prov = rec.get("province", "")
            pref = rec.get("prefecture", "")
            rec["parent_code"] = by_name.get((prov, pref)) or by_name.get((prov, prov), "")
        if not rec.get("level"):
            if rec.get("prefecture") or not rec["name"].endswith("兵团"):
                rec["level"] = "county"
            else:
                rec["level"] = "province"
        out.append(rec)
    return out
