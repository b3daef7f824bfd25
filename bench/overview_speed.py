"""How fast the workbench overview renders on a large store (``python -m bench.overview_speed``).

Builds a store with 3,000 agencies x 5 years (rows written directly through ``Store.db``, no
parsing), logs in through the real app and times ``GET /`` with several filters.  Target: the
overview renders in under 300 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

TARGET_MS = 300.0
RULES = [
    ("LATE_PUBLICATION", "error", "published"),
    ("BALANCE_MISMATCH", "error", "applications.total.total"),
    ("ROW_TOTAL_MISMATCH", "error", "applications.granted.total"),
    ("NARRATIVE_MISMATCH", "error", "applications.new.total"),
    ("MISSING_FEE_STATEMENT", "warning", "sections.6"),
    ("BLANK_CELLS", "info", "applications"),
    ("APPEAL_TOTAL_MISMATCH", "error", "appeals.review.total"),
]


def county_codes(n: int) -> list[str]:
    """Up to ``n`` real county-level division codes (spread over the country)."""
    from nianbao.regions.registry import registry

    codes = [r.code for r in registry() if r.level == "county"]
    return [codes[i * len(codes) // n] for i in range(n)] if len(codes) >= n else codes


def build_store(path: Path, *, agencies: int = 3000, years: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024),
                seed: int = 1) -> dict[str, int]:  # fmt: skip
    """Fill a new store quickly: agencies, documents, current reports, findings, some reviews."""
    from nianbao.model import Finding
    from nianbao.storage.store import Store

    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    store = Store(path)
    codes = county_codes(agencies)
    db = store.db
    with store.transaction():
        db["agencies"].insert_all(
            {"id": i + 1, "name": f"测试机构{i + 1:05d}", "kind": "government" if i % 3 == 0 else "department",
             "level": "county" if i % 3 == 0 else "department", "region_code": codes[i % len(codes)],
             "province": None, "created_at": now, "updated_at": now}
            for i in range(agencies)
        )  # fmt: skip
        docs, reports, findings, reviews = [], [], [], []
        rid = 0
        for a in range(1, agencies + 1):
            for year in years:
                if rng.random() < 0.08:
                    continue  # missing
                rid += 1
                deadline = dt.date(year + 1, 3, 31)
                published = deadline + dt.timedelta(days=rng.choice([-60, -30, -10, -1, 0, 5, 40]))
                docs.append({"id": rid, "url": f"http://example.gov.cn/{a}/{year}.html", "first_seen": now,
                             "last_seen": now})  # fmt: skip
                reports.append({
                    "id": rid, "document_id": rid, "agency_id": a, "agency": f"测试机构{a:05d}", "year": year,
                    "layout": "2021", "is_report": 1, "title": f"{year}年度报告", "published": published.isoformat(),
                    "deadline": deadline.isoformat(), "days_late": (published - deadline).days, "current": 1,
                    "parsed_at": now, "n_cells": 0, "n_findings": 0,
                })  # fmt: skip
                for rule, severity, where in rng.sample(RULES, rng.choice([0, 0, 1, 1, 2, 3])):
                    fp = Finding(rule, severity, where, "").fingerprint(f"测试机构{a:05d}", year)
                    findings.append({
                        "report_id": rid, "document_id": rid, "agency_id": a, "agency": f"测试机构{a:05d}",
                        "year": year, "fingerprint": fp, "rule": rule, "severity": severity, "location": where,
                        "message": f"{rule} 测试", "created_at": now, "updated_at": now, "active": 1,
                    })  # fmt: skip
                    if rng.random() < 0.2:
                        reviews.append({"fingerprint": fp, "status": rng.choice(["confirmed", "dismissed"]),
                                        "reviewer": "bench", "updated_at": now})  # fmt: skip
        db["documents"].insert_all(docs, batch_size=2000)
        db["reports"].insert_all(reports, batch_size=2000)
        db["findings"].insert_all(findings, batch_size=2000)
        db["reviews"].insert_all(reviews, batch_size=2000)
    store.conn.execute("ANALYZE")
    counts = {k: v for k, v in store.counts().items() if k in ("agencies", "reports", "findings", "reviews")}
    store.close()
    return counts


def time_overview(path: Path, queries: list[str], repeat: int = 5) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) milliseconds of ``GET /?query`` for each query (after one warm-up request).

    CPU time (this process, all threads) is the fairer figure on a machine shared with other work.
    """
    import re

    from starlette.testclient import TestClient

    from nianbao.storage import users
    from nianbao.storage.store import Store
    from nianbao.workbench.app import create_app

    with Store(path) as store:
        users.add_user(store, "bench", "bench-password", "readonly")
    app = create_app(path)
    out: dict[str, tuple[float, float]] = {}
    with TestClient(app) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"username": "bench", "password": "bench-password", "csrf_token": token})
        for q in queries:
            url = "/" + (f"?{q}" if q else "")
            assert client.get(url).status_code == 200
            wall, cpu = [], []
            for _ in range(repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                resp = client.get(url)
                wall.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                assert resp.status_code == 200
            out[q or "(无筛选)"] = (statistics.median(wall), statistics.median(cpu))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agencies", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        counts = build_store(path, agencies=args.agencies)
        print(f"建库 {time.perf_counter() - t0:.1f} 秒：{counts}")
        first_code = county_codes(1)[0]
        queries = ["", "year=2024", f"region={first_code[:2]}0000", "year=2023&severity=error&status=pending",
                   "group_by=county", "rule=BALANCE_MISMATCH"]  # fmt: skip
        results = time_overview(path, queries, args.repeat)
    worst = max(cpu for _, cpu in results.values())
    for q, (wall, cpu) in results.items():
        print(f"概览 {q:<42} 耗时 {wall:7.1f} ms   CPU {cpu:7.1f} ms")
    print(f"最慢 CPU {worst:.1f} ms（目标 < {TARGET_MS:.0f} ms）：{'达标' if worst < TARGET_MS else '未达标'}"
          f"；机器负载 {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
