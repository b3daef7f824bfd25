"""Recover table cells whose digits were glued together (``640020470`` = 64,0,0,2,0,4,70).

Some archiving crawlers and PDF extractors join adjacent cells without a separator.  The
split is recovered from what the layout guarantees: every cell is a number without a
leading zero, the applicant columns of a section 3 row add up to its total, the four
outcomes of a section 4 group add up to its total, and across rows 一 + 二 = (七) + 四.
Where these leave more than one split, the cells that differ between the candidates are
reported as ambiguous (never a silent guess).  Pure functions.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Resolved", "looks_glued", "resolve_table", "split_candidates", "token_value"]

_COUNT = re.compile(r"0|[1-9]\d{0,7}")
_SIGNED = re.compile(r"-?(?:0|[1-9]\d{0,7})")
_MONEY = re.compile(r"(?:0|[1-9]\d{0,11})(?:\.\d{1,6})?(?:万元|元)?")
_PATTERNS = {"count": _COUNT, "signed": _SIGNED, "money": _MONEY}
MAX_CANDIDATES = 2000


def _clean(s: str) -> str:
    # a unit printed twice ("2517.23万元万元") is one unit
    return re.sub(r"(万元|元)(?:万元|元)+", r"\1", re.sub(r"[\s\u00a0\u3000]+", "", s))


def looks_glued(text: str, n: int) -> bool:
    """True if a single cell holds what must be ``n`` > 1 values run together."""
    t = _clean(text)
    if n < 2 or not re.fullmatch(r"[0-9.\-]+(?:万元|元)?", t):
        return False
    return sum(ch.isdigit() for ch in t) >= n


def token_value(token: str, kind: str) -> int | float:
    """Numeric value of a token produced by :func:`split_candidates` (money in 万元)."""
    if kind == "money":
        if token.endswith("万元"):
            return float(token[:-2])
        if token.endswith("元"):
            return round(float(token[:-1]) / 10000, 6)
        return float(token) if "." in token else int(token)
    return int(token)


def split_candidates(text: str, kinds: Sequence[str], limit: int = MAX_CANDIDATES) -> list[tuple[str, ...]]:
    """Every way to cut ``text`` into ``len(kinds)`` tokens valid for their column kinds."""
    s = _clean(text)
    n = len(kinds)
    out: list[tuple[str, ...]] = []
    memo_fail: set[tuple[int, int]] = set()

    def rec(pos: int, i: int, acc: list[str]) -> bool:
        if len(out) >= limit:
            return True
        if i == n:
            if pos == len(s):
                out.append(tuple(acc))
                return True
            return False
        if (pos, i) in memo_fail:
            return False
        found = False
        pat = _PATTERNS.get(kinds[i], _COUNT)
        # try every prefix length that the pattern accepts
        for end in range(pos + 1, len(s) + 1):
            tok = s[pos:end]
            if not pat.fullmatch(tok):
                if end - pos > 16:
                    break
                continue
            if rec(end, i + 1, [*acc, tok]):
                found = True
        if not found:
            memo_fail.add((pos, i))
        return found

    rec(0, 0, [])
    return out


@dataclass
class Resolved:
    """One row's outcome: a token per column (None where ambiguous) and a note if any."""

    tokens: list[str | None]
    note: str | None = None


RowCheck = Callable[[list[int | float]], bool]
TableScore = Callable[[dict[str, list[int | float]]], int]


def _values(tokens: Sequence[str], kinds: Sequence[str]) -> list[int | float]:
    return [token_value(t, k) for t, k in zip(tokens, kinds, strict=True)]


def _describe(cands: Sequence[Sequence[str]], shown: int = 6) -> str:
    # most even splits first: a reader checking by hand usually wants those
    cands = sorted(cands, key=lambda c: (max(map(len, c)) - min(map(len, c)), c))
    txt = " 或 ".join("|".join(c) for c in cands[:shown])
    if len(cands) > shown:
        txt += f" 等{len(cands)}种"
    return txt


def resolve_table(
    rows: dict[str, str],
    kinds: dict[str, Sequence[str]],
    row_check: dict[str, RowCheck] | None = None,
    table_score: TableScore | None = None,
) -> dict[str, Resolved]:
    """Split every glued row of one table.

    ``rows``: row key -> glued text; ``kinds``: row key -> column kinds; ``row_check``: row
    key -> a hard identity the values must satisfy; ``table_score``: number of cross-row
    identities a full assignment satisfies (used only while rows stay ambiguous).
    """
    row_check = row_check or {}
    per_row: dict[str, list[tuple[str, ...]]] = {}
    notes: dict[str, str] = {}
    for key, text in rows.items():
        cands = split_candidates(text, kinds[key])
        check = row_check.get(key)
        if check and cands:
            ok = [c for c in cands if check(_values(c, kinds[key]))]
            if ok:
                cands = ok
            elif len(cands) > 1:
                notes[key] = "no split of the glued digits satisfies the row identity"
        per_row[key] = cands

    ambiguous = [k for k, c in per_row.items() if len(c) > 1]
    if ambiguous and table_score is not None:
        space = 1
        for k in ambiguous:
            space *= len(per_row[k])
        if space <= 20000:
            fixed = {k: _values(c[0], kinds[k]) for k, c in per_row.items() if len(c) == 1}
            best: list[tuple[tuple[str, ...], ...]] = []
            best_score = -1
            for combo in itertools.product(*(per_row[k] for k in ambiguous)):
                vals = dict(fixed)
                vals.update({k: _values(c, kinds[k]) for k, c in zip(ambiguous, combo, strict=True)})
                score = table_score(vals)
                if score > best_score:
                    best, best_score = [combo], score
                elif score == best_score:
                    best.append(combo)
            for i, k in enumerate(ambiguous):
                survivors = sorted({combo[i] for combo in best})
                per_row[k] = survivors

    out: dict[str, Resolved] = {}
    for key, cands in per_row.items():
        n = len(kinds[key])
        if not cands:
            out[key] = Resolved([None] * n, f"glued digits {_clean(rows[key])!r} cannot be split into {n} cells")
            continue
        if len(cands) == 1:
            out[key] = Resolved(list(cands[0]), notes.get(key))
            continue
        tokens: list[str | None] = []
        for i in range(n):
            column = {c[i] for c in cands}
            tokens.append(cands[0][i] if len(column) == 1 else None)
        note = f"拆分不确定：粘连数字“{_clean(rows[key])}”可拆为 {_describe(cands)}"
        out[key] = Resolved(tokens, note)
    return out
