"""History findings for display: the CHANGED_AFTER_PUBLICATION evidence split into cell changes
and text diff lines (pure).

``nianbao.rules.history.changed_after_publication`` stores its evidence as lines: first one per changed
cell, ``applications.new.total: 49 → 47`` (``无`` when the cell was absent on one side), then a
unified diff of the section sentences, ``[五、存在的主要问题及改进情况] @@ -1 +1,2 @@`` hunk
headers followed by ``-old`` / ``+new`` sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nianbao import layouts

TABLES = ("disclosure", "applications", "appeals")
_CELL = re.compile(r"^(disclosure|applications|appeals)\.(\S+)\.([A-Za-z_0-9]+): (.*?) → (.*)$")
_HUNK = re.compile(r"^\[(.+?)\] (@@.*)$")


@dataclass(frozen=True)
class CellChange:
    key: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class DiffLine:
    kind: str  # section | del | add | other
    text: str


@dataclass
class ChangeDiff:
    cells: list[CellChange] = field(default_factory=list)
    text: list[DiffLine] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.cells or self.text)


def parse_change_evidence(evidence: str | None, layout: str | None = None) -> ChangeDiff:
    """The cell changes (with official labels) and text diff lines of a CHANGED_AFTER_PUBLICATION finding."""
    out = ChangeDiff()
    for line in (evidence or "").splitlines():
        if not line.strip():
            continue
        m = _CELL.match(line)
        if m and not out.text:  # cell lines come first; a diff sentence may look like one
            table, row, col, old, new = m.groups()
            out.cells.append(CellChange(f"{table}.{row}.{col}", layouts.cell_label(table, row, col, layout or "2021"),
                                        old, new))  # fmt: skip
            continue
        h = _HUNK.match(line)
        if h:
            out.text.append(DiffLine("section", h.group(1)))
        elif line.startswith("-"):
            out.text.append(DiffLine("del", line[1:]))
        elif line.startswith("+"):
            out.text.append(DiffLine("add", line[1:]))
        else:
            out.text.append(DiffLine("other", line))
    return out
