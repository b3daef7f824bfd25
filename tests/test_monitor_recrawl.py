"""Three real crawls of the sandbox with changes in between: every change found, nothing else.

Crawl 1, then: a missing report is published late, one report is edited, one removed, one agency
copies its own previous report, one copies a neighbour's; crawl 2 (through ``nianbao.monitor.job.run_plan``,
which also sends the digest to a local webhook and a local SMTP sink); crawl 3 with no change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import socketserver
import threading
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nianbao.monitor.job import run_plan
from nianbao.monitor.plans import Notify, parse_plan
from nianbao.monitor.runs import run_summaries
from nianbao.sandbox.network import generate
from nianbao.sandbox.server import running
from nianbao.storage.store import Store

pytestmark = pytest.mark.slow

SEED, SIZE = 5, 1
GOV = "岳普湖县人民政府"
OFFICE = "岳普湖县人民政府办公室"
HEALTH = "岳普湖县卫生健康委员会"
CENTRE = "岳普湖县政务服务中心"
TOWN = "岳普湖县新沟乡人民政府"
TODAY = dt.datetime(2025, 12, 1, 3, 0, tzinfo=dt.UTC)
CRAWL = {"NIANBAO_BROWSER": "False", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
         "NIANBAO_CRAWL_DELAY_ENABLED": "False", "RETRY_BACKOFF_BASE": "0.1"}
HISTORY_RULES = {"CHANGED_AFTER_PUBLICATION", "REPORT_REMOVED", "COPIED_FROM_PRIOR_YEAR", "COPIED_FROM_OTHER_AGENCY"}


# ---------------------------------------------------------------- local receivers


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept a message (a sink)."""

    def handle(self) -> None:
        self.wfile.write(b"220 sink ESMTP\r\n")
        while line := self.rfile.readline():
            cmd = line.strip().upper()
            if cmd.startswith((b"EHLO", b"HELO")):
                self.wfile.write(b"250 sink\r\n")
            elif cmd == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.server.received.append(data)
                self.wfile.write(b"250 queued\r\n")
            elif cmd == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture(scope="module")
def receivers():
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    hook.received = []
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    smtp.daemon_threads = True
    smtp.received = []
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (hook, smtp)]
    for t in threads:
        t.start()
    yield hook, smtp
    for s in (hook, smtp):
        s.shutdown()
        s.server_close()


# ---------------------------------------------------------------- the three crawls


def _copy_sections(net, target: tuple[str, int], source: tuple[str, int]) -> None:
    """Make ``target``'s prose a copy of ``source``'s (its year and agency name swapped in)."""
    tgt, src = net.report(*target), net.report(*source)
    for key, old in dict(tgt.sections).items():
        new = src.sections.get(key, "")
        if not old.strip() or not new.strip():
            continue
        new = new.replace(str(source[1]), str(target[1])).replace(source[0], target[0])
        net.edit_report(target[0], target[1], replace=(old, new))


def _history(store: Store) -> set[tuple[str, str, int]]:
    return {(r["rule"], r["agency"], r["year"]) for r in store.query(
        "SELECT rule, agency, year FROM findings WHERE active = 1")}


@pytest.fixture(scope="module")
def crawls(tmp_path_factory, receivers):
    hook, smtp = receivers
    tmp = tmp_path_factory.mktemp("recrawl")
    net = generate(SEED, SIZE)
    (tmp / "sites.csv").write_text(net.sites_csv(departments=True), encoding="utf-8")
    plan = parse_plan({"name": "recrawl", "sites": "sites.csv", "db": "r.db", "crawl": CRAWL}, tmp / "p.toml")
    notifying = dataclasses.replace(plan, notify=Notify(
        webhook=f"http://127.0.0.1:{hook.server_address[1]}/hook", email_to=("officer@example.org",),
        smtp_host="127.0.0.1", smtp_port=smtp.server_address[1]))
    out = {}
    mp = pytest.MonkeyPatch()
    with running(net) as proxy:
        for k in ("http_proxy", "HTTP_PROXY"):
            mp.setenv(k, proxy)
        for k in ("no_proxy", "NO_PROXY"):
            mp.delenv(k, raising=False)
        try:
            out["run1"] = run_plan(plan, now=lambda: TODAY, timeout=600)
            with Store(plan.db) as s:
                out["after1"] = _history(s)
            net.add_report(OFFICE, 2022, published=dt.date(2025, 11, 20))
            h = net.report(HEALTH, 2023)
            new, total = h.applications["new"]["natural_person"].value, h.applications["new"]["total"].value
            net.edit_report(HEALTH, 2023, cells={"applications.new.natural_person": new + 2,
                                                 "applications.new.total": total + 2})
            net.remove_report(CENTRE, 2023)
            _copy_sections(net, (HEALTH, 2024), (HEALTH, 2023))
            _copy_sections(net, (TOWN, 2023), (OFFICE, 2023))
            out["run2"] = run_plan(notifying, now=lambda: TODAY, timeout=600)
            with Store(plan.db) as s:
                out["after2"] = _history(s)
            out["hooks2"], out["mails2"] = list(hook.received), list(smtp.received)
            out["run3"] = run_plan(notifying, now=lambda: TODAY, timeout=600)
            with Store(plan.db) as s:
                out["after3"] = _history(s)
                out["runs"] = run_summaries(s, limit=3)
            out["hooks3"], out["mails3"] = list(hook.received), list(smtp.received)
        finally:
            mp.undo()
    out["db"] = plan.db
    return out


def test_every_crawl_ran(crawls):
    for key in ("run1", "run2", "run3"):
        r = crawls[key]
        assert r.status == "finished" and len(r.crawl_runs) == 1 and not r.problems, (key, r.problems)


def test_first_crawl_flags_the_gap_and_nothing_historical(crawls):
    assert ("MISSING_REPORT", OFFICE, 2022) in crawls["after1"]
    assert not {f for f in crawls["after1"] if f[0] in HISTORY_RULES}, crawls["after1"]


def test_second_crawl_finds_every_change_and_only_those(crawls):
    after = crawls["after2"]
    assert ("MISSING_REPORT", OFFICE, 2022) not in after  # published (late) in between
    got = {f for f in after if f[0] in HISTORY_RULES}
    assert got == {
        ("CHANGED_AFTER_PUBLICATION", HEALTH, 2023),
        ("CHANGED_AFTER_PUBLICATION", HEALTH, 2024),
        ("CHANGED_AFTER_PUBLICATION", TOWN, 2023),
        ("REPORT_REMOVED", CENTRE, 2023),
        ("COPIED_FROM_PRIOR_YEAR", HEALTH, 2024),
        ("COPIED_FROM_OTHER_AGENCY", TOWN, 2023),
    }


def test_changed_finding_shows_the_cell_difference(crawls):
    with Store(crawls["db"]) as s:
        [row] = s.query("SELECT message, evidence FROM findings WHERE rule = 'CHANGED_AFTER_PUBLICATION' "
                        "AND agency = ? AND year = 2023", (HEALTH,))
    assert "applications.new.total:" in row["message"] and "→" in row["message"]


def test_third_crawl_of_an_unchanged_network_finds_nothing_new(crawls):
    assert crawls["after3"] == crawls["after2"]
    assert crawls["run3"].history["new"] == 0


def test_digest_sent_once_by_webhook_and_mail(crawls):
    assert len(crawls["hooks2"]) == 1 and len(crawls["mails2"]) == 1
    payload = crawls["hooks2"][0]
    rules = {f["rule"] for reg in payload["regions"] for f in reg["findings"]}
    assert {"CHANGED_AFTER_PUBLICATION", "REPORT_REMOVED", "COPIED_FROM_OTHER_AGENCY"} <= rules
    assert [reg["region"] for reg in payload["regions"]] == [GOV]  # departments grouped under their county
    assert payload["count"] == sum(reg["count"] for reg in payload["regions"]) and "【岳普湖县人民政府】" in payload["text"]
    mail = message_from_bytes(crawls["mails2"][0])
    assert "新发现问题" in str(make_header(decode_header(mail["Subject"])))
    # nothing new in crawl 3: nothing sent
    assert len(crawls["hooks3"]) == 1 and len(crawls["mails3"]) == 1


def test_runs_report_new_changed_removed(crawls):
    last, second = crawls["runs"][0], crawls["runs"][1]
    assert (second["changed"], second["removed"]) == (3, 1) and second["new"] >= 1
    assert (last["new"], last["changed"], last["removed"]) == (0, 0, 0)
    assert last["not_modified"] > 0 and last["bytes"] < second["bytes"]
    assert last["sites"] and all(s["health"] == "ok" for s in last["sites"])
