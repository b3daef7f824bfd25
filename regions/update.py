"""Compare a new code table or portal list with the packaged registry (pure), and apply it.

Two kinds of new list are understood, told apart by their header:

- a division code table (``code,name[,level,province,prefecture_or_直辖,in_use_since]``, e.g. a newer
  ``mca_areacodes_<year>_current.csv``): reports new, removed, renamed, moved (new parent) and
  recoded divisions (a code retired and a new one under the same province with the same short
  name, as when a 县 becomes a 区 or a 市);
- a portal list (the upstream ``china_gov_portals_with_adcode.csv`` format with ``adcode``, or
  the registry's own ``portals.csv``): reports portals added, dropped, moved to another URL, and
  changes of access method.
"""

from __future__ import annotations

from dataclasses import dataclass

from nianbao import labels
from nianbao.regions import dataio, names

KIND_LABELS = labels.REGISTRY_CHANGES


@dataclass(frozen=True)
class Change:
    kind: str
    code: str
    message: str  # Chinese, one line
    new_code: str | None = None


def detect_format(header: list[str]) -> str | None:
    """``'portals'``, ``'areacodes'`` or None from a CSV header."""
    cols = set(header)
    if "portal_url" in cols and ({"adcode", "code"} & cols):
        return "portals"
    if {"code", "name"} <= cols or {"adcode", "name"} <= cols:
        return "areacodes"
    return None


def _parent_code(code: str, table: dict[str, dict[str, str]]) -> str | None:
    if code.endswith("0000"):
        return None
    pref = code[:4] + "00"
    if code != pref and pref in table and not pref.endswith("0000"):
        return pref
    return code[:2] + "0000"


def _where(code: str, table: dict[str, dict[str, str]]) -> str:
    """``甘肃省兰州市`` / ``河南省（省直辖）`` for a code's parent."""
    parent = _parent_code(code, table)
    if parent is None:
        return ""
    prov = table.get(code[:2] + "0000", {}).get("name", "")
    if parent.endswith("0000"):
        return prov + ("直辖" if not code.endswith("00") else "")
    return prov + table[parent]["name"]


def diff_areacodes(old: list[dict[str, str]], new: list[dict[str, str]]) -> list[Change]:
    """Changes from one normalised code table to another, in code order. A retired code paired with a
    new code of the same province, level and short name is ``recoded`` (same parent) or ``moved``
    (another parent); a code kept under a parent whose own code appeared or vanished is ``moved``."""
    before = {r["code"]: r for r in old}
    after = {r["code"]: r for r in new}
    changes: list[Change] = []
    for code in sorted(before.keys() & after.keys()):
        a, b = before[code], after[code]
        if a["name"] != b["name"]:
            changes.append(Change("renamed", code, f"{code} 更名：{a['name']} → {b['name']}"))
        if _parent_code(code, before) != _parent_code(code, after):
            changes.append(Change("moved", code, f"{code} {b['name']} 隶属变更：{_where(code, before)} → "
                                                 f"{_where(code, after)}"))
    removed = sorted(before.keys() - after.keys())
    added = sorted(after.keys() - before.keys())
    paired: set[str] = set()
    for code in list(removed):
        a = before[code]
        stem = names.short_name(a["name"])
        for new_code in added:
            b = after[new_code]
            if new_code in paired or new_code[:2] != code[:2] or b["level"] != a["level"]:
                continue
            if names.short_name(b["name"]) == stem:
                old_where, new_where = _where(code, before), _where(new_code, after)
                kind = "recoded" if old_where == new_where else "moved"
                changes.append(Change(kind, code, f"{code} {a['name']}（{old_where}）→ {new_code} "
                                                  f"{b['name']}（{new_where}）", new_code=new_code))
                paired.add(new_code)
                removed.remove(code)
                break
    for code in removed:
        a = before[code]
        changes.append(Change("removed", code, f"{code} {a['name']}（{_where(code, before)}）已不在新表中"))
    for code in added:
        if code not in paired:
            b = after[code]
            changes.append(Change("new", code, f"{code} {b['name']}（{_where(code, after)}）为新增代码"))
    return sorted(changes, key=lambda c: (c.code, c.kind))


def diff_portals(old: list[dict[str, str]], new: list[dict[str, str]], known_codes: set[str]) -> list[Change]:
    """Changes from one normalised (coded) portal list to another, in code order."""
    before = {r["code"]: r for r in old}
    after = {r["code"]: r for r in new}
    changes: list[Change] = []
    for code in sorted(before.keys() | after.keys()):
        a, b = before.get(code), after.get(code)
        label = (b or a or {}).get("name") or (b or a or {}).get("portal_name") or ""
        if b is not None and code not in known_codes:
            changes.append(Change("portal-unknown-code", code, f"{code} {label}：代码不在现行区划代码表中，将被忽略"))
            continue
        if a is None and b is not None:
            changes.append(Change("portal-new", code, f"{code} {label} 新增门户：{b['portal_url']}"))
        elif b is None and a is not None:
            changes.append(Change("portal-removed", code, f"{code} {label} 门户不再列出（原为 {a['portal_url']}）"))
        elif a is not None and b is not None:
            if a["portal_url"] != b["portal_url"]:
                changes.append(Change("portal-url", code, f"{code} {label} 门户网址：{a['portal_url']} → {b['portal_url']}"))
            if (a.get("access_method_code") or "unknown") != (b.get("access_method_code") or "unknown"):
                changes.append(Change("portal-access", code, f"{code} {label} 访问方式："
                                      f"{a.get('access_method_code') or 'unknown'} → {b.get('access_method_code') or 'unknown'}"))
    return changes


def carry_portals(portals: list[dict[str, str]], changes: list[Change], new_table: list[dict[str, str]]
                  ) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Portal rows after a code-table update: rows of recoded divisions follow their new code (the
    old government name stays as ``portal_name``, so old reports still resolve); returns
    (kept rows, orphaned rows whose code no longer exists)."""
    moves = {c.code: c.new_code for c in changes if c.new_code}
    new_names = {r["code"]: r["name"] for r in new_table}
    kept, orphans = [], []
    for row in portals:
        row = dict(row)
        if row["code"] in moves:
            row["code"] = moves[row["code"]]
            row["name"] = new_names.get(row["code"], row["name"])
            row["note"] = "; ".join(x for x in (row.get("note", ""), "code carried over after recoding") if x)
        (kept if row["code"] in new_names else orphans).append(row)
    kept.sort(key=lambda r: r["code"])
    return kept, orphans


def summary(changes: list[Change]) -> str:
    """``新增 2，撤销 1，…`` (only kinds that occur), or ``无变化``."""
    counts: dict[str, int] = {}
    for c in changes:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    if not counts:
        return "无变化"
    return "，".join(f"{KIND_LABELS[k]} {n}" for k, n in counts.items())


def normalise(kind: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    if kind == "areacodes":
        return dataio.normalise_areacodes(rows)
    return dataio.normalise_portals(rows)[0]
