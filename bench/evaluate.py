"""The accuracy gate: read every document with a hand-checked expected result and score it.

``python -m bench.evaluate [-v] [--only NAME]`` prints cells right / total, is_report,
year / agency / layout / published, and (when the rules exist) expected findings found and
forbidden findings raised; it exits 1 when a score is below the floor pinned in
``bench/evaluate_minimums.json``.

Cases come from providers.  Built in: every ``tests/data/expected/*.json`` (its ``source`` is
the document) and re-encoded / re-rendered variants of the seeds.  Another part adds cases by
putting a module ``bench/eval_<name>.py`` with a function ``cases() -> Iterable[Case]`` next to
this file (e.g. generated reports, attachments).

Expected JSON fields (all optional but ``source``): ``is_report``, ``agency`` (or
``agency_any``: accepted names), ``year``, ``layout``, ``published``, the three tables as in
the JSON contract (``null`` = no number), ``status`` (``"applications.partial.research":
"blank"``), ``complete`` (tables whose rows must match exactly; default: every table given),
``check`` (restrict to these fields), ``expected_findings`` (``{"rule", "where",
"where_prefix"}``), ``forbidden_findings`` (rule names that must not fire).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import pkgutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nianbao.rules.registry import audit

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_DIR = ROOT / "tests" / "data" / "expected"
REAL_MANIFEST = ROOT / "tests" / "data" / "REAL_MANIFEST.tsv"
ORIGINS = ("real", "imitation", "derived", "generated")
MINIMUMS = Path(__file__).with_name("evaluate_minimums.json")
TABLES = ("disclosure", "applications", "appeals")
META = ("is_report", "year", "agency", "layout", "published")


@dataclass
class Case:
    """One document and what it must read as."""

    name: str
    data: bytes
    source: str
    expected: dict
    url: str | None = None
    content_type: str | None = None
    hints: dict = field(default_factory=dict)
    group: str = "documents"
    # real: published by an agency (or cut from such a document); imitation: a real kind we
    # could not find, built around real content; derived: real content re-encoded/re-rendered
    # by us; generated: made up by the sandbox
    origin: str = "generated"


@dataclass
class Score:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.total += 1
        self.right += bool(ok)

    @property
    def ratio(self) -> float:
        return self.right / self.total if self.total else 1.0

    def __str__(self) -> str:
        return f"{self.right}/{self.total} ({self.ratio:.1%})"


# --- providers ------------------------------------------------------------------------------

Provider = Callable[[], Iterable[Case]]
PROVIDERS: dict[str, Provider] = {}


def provider(name: str) -> Callable[[Provider], Provider]:
    def deco(func: Provider) -> Provider:
        PROVIDERS[name] = func
        return func

    return deco


def _load_expected(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def real_manifest() -> dict[str, dict[str, str]]:
    """``tests/data/REAL_MANIFEST.tsv``: path -> its row (origin, provenance, what it imitates)."""
    if not REAL_MANIFEST.exists():
        return {}
    lines = [ln for ln in REAL_MANIFEST.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    head = lines[0].split("\t")
    return {row["path"]: row for row in (dict(zip(head, ln.split("\t"), strict=False)) for ln in lines[1:])}


@provider("expected")
def expected_files() -> Iterator[Case]:
    """Every hand-checked ``tests/data/expected/*.json`` against its source document."""
    manifest = real_manifest()
    for path in sorted(EXPECTED_DIR.glob("*.json")):
        exp = _load_expected(path)
        src = ROOT / exp["source"]
        if not src.exists():
            continue
        origin = manifest.get(exp["source"], {}).get("origin", "generated")
        yield Case(path.stem, src.read_bytes(), exp["source"], exp, url=exp.get("url"), hints=exp.get("hints", {}),
                   origin=origin)


def _seed_cases() -> Iterator[tuple[str, dict, str]]:
    for path in sorted(EXPECTED_DIR.glob("[0-9][0-9][0-9]_*.json")):
        exp = _load_expected(path)
        src = ROOT / exp["source"]
        if src.exists():
            yield path.stem, exp, src.read_text(encoding="utf-8")


@provider("encodings")
def encoded_seeds() -> Iterator[Case]:
    """The seeds as GBK bytes, undeclared, and as HTML declaring the wrong charset."""
    for name, exp, text in _seed_cases():
        yield Case(f"{name}@gbk", text.encode("gb18030"), f"{exp['source']}@gbk", exp, group="encodings", origin="derived")
        page = '<html><head><meta charset="utf-8"><title></title></head><body><pre>{}</pre></body></html>'
        # declared UTF-8, sent as GB18030: the declaration must be distrusted
        body = page.format(text.replace("&", "&amp;").replace("<", "&lt;"))
        yield Case(f"{name}@html-wrong-charset", body.encode("gb18030"), f"{exp['source']}@html", exp, group="encodings",
                   origin="derived")


@provider("renderings")
def rendered_seeds() -> Iterator[Case]:
    """The seeds re-published through ``nianbao.sandbox.render`` (official HTML, Word HTML, text styles)."""
    try:
        from nianbao.sandbox import render
    except ImportError:
        return
    from nianbao.parsers import read

    for name, exp, text in _seed_cases():
        report = read(text.encode("utf-8"), exp["source"])
        expected = {k: exp[k] for k in ("is_report", "year", "layout", *TABLES, "status") if k in exp}
        # the renderer prints every row of the layout (a row the seed lacks comes out blank)
        expected["complete"] = []
        has_blank = any(c.status != "ok" for *_, c in report.cells())
        variants = []
        for style in ("official", "word", "plain"):
            try:
                variants.append((style, render.render_page(report, style).encode("utf-8")))
            except Exception:  # the renderer is another part's work in progress
                continue
        for style in ("pipe", "tab", "lines"):
            if style == "lines" and has_blank:
                continue  # one-cell-per-line drops empty cells, so a blank cell cannot survive it
            try:
                variants.append((style, render.render_text(report, style, title=True).encode("utf-8")))
            except Exception:
                continue
        for style, data in variants:
            yield Case(f"{name}@{style}", data, f"{exp['source']}@{style}", expected, group="renderings",
                       origin="derived")


def _plugin_providers() -> None:
    here = Path(__file__).parent
    for mod in pkgutil.iter_modules([str(here)]):
        if mod.name.startswith("eval_"):
            try:
                m = importlib.import_module(f"bench.{mod.name}")
            except Exception as exc:  # a broken plugin must not hide the built-in scores
                print(f"warning: bench/{mod.name}.py not loaded: {exc}", file=sys.stderr)
                continue
            if hasattr(m, "cases"):
                PROVIDERS.setdefault(mod.name[5:], m.cases)


# --- scoring --------------------------------------------------------------------------------


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)
    return a == b


@dataclass
class Result:
    cells: Score = field(default_factory=Score)
    meta: dict[str, Score] = field(default_factory=lambda: {k: Score() for k in META})
    findings_expected: Score = field(default_factory=Score)
    findings_false: int = 0
    findings_checked: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def score_case(case: Case, res: Result, audit: Callable | None) -> None:
    """Read one case and add its scores to ``res``."""
    from nianbao.parsers import read

    t0 = time.perf_counter()
    report = read(case.data, case.source, url=case.url, content_type=case.content_type, hints=case.hints)
    res.seconds += time.perf_counter() - t0
    exp = case.expected
    checks = set(exp.get("check") or [*META, *TABLES, "findings"])
    got = report.to_contract()
    if "is_report" in checks and "is_report" in exp:
        ok = report.is_report == exp["is_report"]
        res.meta["is_report"].add(ok)
        if not ok:
            res.problems.append(f"{case.name}: is_report {report.is_report} != {exp['is_report']}")
    if not exp.get("is_report", True):
        return
    for key in ("year", "layout", "published"):
        if key in checks and key in exp:
            ok = got.get(key) == exp[key]
            res.meta[key].add(ok)
            if not ok:
                res.problems.append(f"{case.name}: {key} {got.get(key)!r} != {exp[key]!r}")
    if "agency" in checks and ("agency" in exp or "agency_any" in exp):
        accepted = set(exp.get("agency_any") or []) | ({exp["agency"]} if exp.get("agency") else set())
        ok = report.agency in accepted if accepted else report.agency is None
        res.meta["agency"].add(ok)
        if not ok:
            res.problems.append(f"{case.name}: agency {report.agency!r} not in {sorted(accepted)}")
    status = exp.get("status", {})
    complete = set(exp["complete"] if "complete" in exp else [t for t in TABLES if t in exp])
    for table in TABLES:
        if table not in checks or table not in exp:
            continue
        mine = report.table(table)
        for row, cols in exp[table].items():
            for col, value in cols.items():
                cell = mine.get(row, {}).get(col)
                ok = cell is not None and _same(cell.value, value)
                want = status.get(f"{table}.{row}.{col}")
                if ok and want and cell.status != want:
                    ok = False
                if ok and value is None and not want and cell.status == "ok":
                    ok = False
                res.cells.add(ok)
                if not ok:
                    got_v = "absent" if cell is None else f"{cell.value!r} ({cell.status})"
                    res.problems.append(f"{case.name}: {table}.{row}.{col} = {got_v}, expected {value!r}")
        if table in complete:
            for row, cols in mine.items():
                if row not in exp[table]:
                    for _col in cols:
                        res.cells.add(False)
                    res.problems.append(f"{case.name}: {table}.{row} read but not in the document")
    if exp.get("tables") == "absent":
        ok = not any(report.table(t) for t in ("applications", "appeals"))
        res.cells.add(ok)
        if not ok:
            res.problems.append(f"{case.name}: tables read from a document without the national tables")
    if audit is not None and "findings" in checks and (exp.get("expected_findings") or exp.get("forbidden_findings")):
        findings = audit(report)
        res.findings_checked += 1
        for ef in exp.get("expected_findings", []):
            hit = any(
                f.rule == ef["rule"]
                and (not ef.get("where") or f.where == ef["where"])
                and (not ef.get("where_prefix") or f.where.startswith(ef["where_prefix"]))
                for f in findings
            )
            res.findings_expected.add(hit)
            if not hit:
                res.problems.append(f"{case.name}: expected finding {ef} not raised")
        forbidden = set(exp.get("forbidden_findings", []))
        for f in findings:
            if f.rule in forbidden:
                res.findings_false += 1
                res.problems.append(f"{case.name}: false finding {f.rule} at {f.where}: {f.message}")


def _audit_function() -> Callable:
    return audit


BY_ORIGIN: dict[str, Result] = {}  # filled by evaluate(): the same cases, summed by origin


def evaluate(only: str | None = None, groups: set[str] | None = None) -> dict[str, Result]:
    """Score every case of every provider; results per case group (and in :data:`BY_ORIGIN`)."""
    _plugin_providers()
    audit = _audit_function()
    results: dict[str, Result] = {}
    BY_ORIGIN.clear()
    for pname, prov in PROVIDERS.items():
        try:
            cases = list(prov())
        except Exception as exc:
            print(f"warning: provider {pname} failed: {exc}", file=sys.stderr)
            continue
        for case in cases:
            if only and only not in case.name:
                continue
            if groups and case.group not in groups:
                continue
            res = results.setdefault(case.group, Result())
            mine = Result()
            try:
                score_case(case, mine, audit)
            except Exception as exc:  # a crash is a failed case, not a crashed gate
                mine.cells.add(False)
                mine.problems.append(f"{case.name}: crashed: {type(exc).__name__}: {exc}")
            _merge(res, mine)
            _merge(BY_ORIGIN.setdefault(case.origin, Result()), mine)
    return results


def _merge(into: Result, part: Result) -> None:
    into.cells.right += part.cells.right
    into.cells.total += part.cells.total
    for k in META:
        into.meta[k].right += part.meta[k].right
        into.meta[k].total += part.meta[k].total
    into.findings_expected.right += part.findings_expected.right
    into.findings_expected.total += part.findings_expected.total
    into.findings_false += part.findings_false
    into.findings_checked += part.findings_checked
    into.problems.extend(part.problems)
    into.seconds += part.seconds


def _report_origins() -> dict[str, float]:
    """Print real, imitation, derived and generated documents apart; their scores for the floors."""
    scores: dict[str, float] = {}
    for origin in ORIGINS:
        res = BY_ORIGIN.get(origin)
        if res is None:
            continue
        meta = "  ".join(f"{k} {v}" for k, v in res.meta.items() if v.total)
        print(f"<{origin}> cells {res.cells}  {meta}  findings {res.findings_expected}  "
              f"false findings {res.findings_false} (in {res.findings_checked} audited)")
        scores[f"{origin}_cells"] = res.cells.ratio
        scores[f"{origin}_findings"] = res.findings_expected.ratio
        scores[f"{origin}_false_findings"] = float(res.findings_false)
    return scores


def _report(results: dict[str, Result], verbose: bool) -> dict[str, float]:
    overall: dict[str, Score] = {"cells": Score(), **{k: Score() for k in META}, "findings": Score()}
    false = 0
    for group, res in results.items():
        print(f"[{group}] cells {res.cells}  " + "  ".join(f"{k} {v}" for k, v in res.meta.items() if v.total))
        if res.findings_checked:
            print(f"[{group}] expected findings found {res.findings_expected}, false findings {res.findings_false}")
        overall["cells"].right += res.cells.right
        overall["cells"].total += res.cells.total
        for k in META:
            overall[k].right += res.meta[k].right
            overall[k].total += res.meta[k].total
        overall["findings"].right += res.findings_expected.right
        overall["findings"].total += res.findings_expected.total
        false += res.findings_false
        shown = res.problems if verbose else res.problems[:8]
        for p in shown:
            print(f"    - {p}")
        if len(res.problems) > len(shown):
            print(f"    … {len(res.problems) - len(shown)} more (use -v)")
    print("overall: " + "  ".join(f"{k} {v}" for k, v in overall.items() if v.total) + f"  false findings {false}")
    scores = {k: v.ratio for k, v in overall.items() if v.total}
    scores["false_findings"] = float(false)
    return scores


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="list every wrong value")
    ap.add_argument("--only", help="only cases whose name contains this")
    ap.add_argument("--group", action="append", help="only these case groups")
    args = ap.parse_args(argv)
    results = evaluate(args.only, set(args.group) if args.group else None)
    scores = _report(results, args.verbose)
    scores.update(_report_origins())
    if args.only or args.group:
        return 0
    minimums = json.loads(MINIMUMS.read_text(encoding="utf-8")) if MINIMUMS.exists() else {}
    failed = []
    for key, floor in minimums.items():
        if key.startswith("_"):
            continue
        if key.startswith("max_") and key.endswith("false_findings"):
            got = scores.get(key[4:], 0)
            if got > floor:
                failed.append(f"{key[4:].replace('_', ' ')} {got:g} > {floor}")
        elif key in scores and scores[key] < floor:
            failed.append(f"{key} {scores[key]:.3f} < {floor}")
    if failed:
        print("FAILED accuracy gate: " + "; ".join(failed))
        return 1
    print("accuracy gate passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
