"""Start the pieces of a crawl on this machine (tests, benchmarks, trying it out).

``redis_server()`` runs a throwaway ``redis-server`` on a free loopback port;
``Cluster`` starts ``nianbao crawl --redis`` / ``worker`` / ``store`` processes against it;
``PagesPortal`` serves a few hand-written pages on made-up hosts and ``crawl_portal`` crawls it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nianbao.sandbox.network import Response
from nianbao.sandbox.server import running

NIANBAO = [sys.executable, "-m", "nianbao.cli"]


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate ``proc``; kill it if it has not exited after ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def redis_server(port: int | None = None) -> Iterator[str]:
    """A ``redis-server`` on 127.0.0.1 (no persistence); yields its URL, stops it afterwards."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise FileNotFoundError("redis-server is not on PATH (Debian: apt-get install redis-server)")
    port = port or free_port()
    workdir = tempfile.mkdtemp(prefix="nianbao-redis-")
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "no", "--dir", workdir, "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield url
    finally:
        stop(proc, timeout=5)
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class Cluster:
    """Processes of one distributed job; every process is stopped by :meth:`stop` (or on exit)."""

    redis_url: str
    workdir: Path
    proxy: str | None = None
    job: str = "nianbao"
    env_extra: dict[str, str] = field(default_factory=dict)
    procs: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("NIANBAO_REDIS_URL", None)
        if self.proxy:
            env["http_proxy"] = env["HTTP_PROXY"] = self.proxy
            env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
        env.update(self.env_extra)
        return env

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(NIANBAO + args, stdout=log, stderr=subprocess.STDOUT, env=self.env(),
                                cwd=self.workdir, start_new_session=True)  # fmt: skip
        log.close()
        self.procs.append((name, proc))
        return proc

    def crawler(self, name: str, sites: Path, settings: dict[str, object] | None = None) -> subprocess.Popen:
        args = ["crawl", "--sites", str(sites), "--redis", self.redis_url, "--quiet", "-s", f"NIANBAO_REDIS_JOB={self.job}"]
        for k, v in (settings or {}).items():
            args += ["-s", f"{k}={v}"]
        return self.spawn(name, args)

    def worker(self, name: str, heartbeat: float = 5.0, grace: float = 10.0) -> subprocess.Popen:
        return self.spawn(name, ["worker", "--redis", self.redis_url, "--job", self.job, "--until-done",
                                 "--heartbeat", str(heartbeat), "--grace", str(grace)])  # fmt: skip

    def store(self, db: Path, name: str = "store") -> subprocess.Popen:
        return self.spawn(name, ["store", "--db", str(db), "--redis", self.redis_url, "--job", self.job,
                                 "--until-done"])  # fmt: skip

    def log(self, name: str) -> str:
        p = self.workdir / f"{name}.log"
        return p.read_text(encoding="utf-8", errors="replace") if p.exists() else ""

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Signal a process and everything it started (its session); wait up to 10 s for it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)

    def name(self, proc: subprocess.Popen) -> str:
        return next((n for n, q in self.procs if q is proc), str(proc.args))

    def wait(self, procs: list[subprocess.Popen], timeout: float, progress=None, limit: float = 3600.0) -> None:
        """Wait until all of ``procs`` exit; fail at once when one of them fails.

        Without ``progress``: at most ``timeout`` seconds.  With it (a callable returning anything
        comparable): at most ``timeout`` seconds *without progress* (its value unchanged), so a
        loaded machine slows the wait down instead of failing it; ``limit`` caps the whole wait."""
        start = last_change = time.monotonic()
        seen = progress() if progress is not None else None
        while any(p.poll() is None for p in procs):
            for p in procs:
                if p.poll() not in (None, 0):
                    name = self.name(p)
                    raise RuntimeError(f"{name} exited with {p.returncode}:\n{self.log(name)[-3000:]}")
            now = time.monotonic()
            if progress is not None:
                current = progress()
                if current != seen:
                    seen, last_change = current, now
            if now - last_change > timeout or now - start > limit:
                late = [self.name(p) for p in procs if p.poll() is None]
                what = "without progress" if progress is not None and now - start <= limit else "in all"
                raise TimeoutError(f"still running after {now - last_change:.0f}s {what}: {late}; last: {seen}")
            time.sleep(0.2)
        for p in procs:
            if p.returncode != 0:
                name = self.name(p)
                raise RuntimeError(f"{name} exited with {p.returncode}:\n{self.log(name)[-3000:]}")

    def stop(self) -> None:
        for _, p in self.procs:
            if p.poll() is None:
                self.kill(p, signal.SIGTERM)
        for _, p in self.procs:
            if p.poll() is None:
                self.kill(p)


@contextlib.contextmanager
def serving_workbench(db: Path, env: dict[str, str] | None = None, timeout: float = 30.0) -> Iterator[str]:
    """``nianbao serve`` over ``db`` on a free loopback port (``env``: its environment); yields the
    base URL once it accepts connections; stopped on exit."""
    port = free_port()
    proc = subprocess.Popen(NIANBAO + ["serve", "--db", str(db), "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {proc.stderr.read().decode()}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc, timeout=10)


class PagesPortal:
    """A few pages per host (``{host: {path: (content type, body)}}``) answered through the sandbox
    proxy; every request is kept in ``requests``; ``robots.txt`` and unknown paths answer 404.  A content
    type without a charset is sent as UTF-8; one with a charset is sent as it is (even a wrong one)."""

    def __init__(self, hosts: dict[str, dict[str, tuple[str, bytes]]]) -> None:
        self.hosts = hosts
        self.requests: list[str] = []
        self.times: list[float] = []  # time.monotonic() of each request

    def respond(self, method: str, url: str, headers: dict | None = None) -> Response | None:
        self.requests.append(url)
        self.times.append(time.monotonic())
        host, _, rest = url.removeprefix("http://").partition("/")
        table = self.hosts.get(host)
        if table is None:
            return None
        ctype, body = table.get("/" + rest.split("?")[0], ("text/html", b""))
        if not body:
            return Response(404, b"<html>404</html>", {"Content-Type": "text/html"})
        return Response(200, body, {"Content-Type": ctype if "charset" in ctype else f"{ctype}; charset=utf-8"})


@dataclass
class PortalCrawl:
    """What ``crawl_portal`` saw: documents stored, the run's stats, ``nianbao runs`` output."""

    fetched: set[str]
    reports: set[str]
    stats: dict[str, Any]
    runs: str


def crawl_portal(portal: Any, tmp: Path, agency: str, url: str, *settings: str, region: str = "990101") -> PortalCrawl:
    """``nianbao crawl`` of one site (``agency`` at ``url``) served by ``portal`` with ``-s`` ``settings``
    (the CMS hints off, no throttling), then ``nianbao runs``."""
    sites = tmp / "sites.csv"
    sites.write_text(f"agency,url,level,region\n{agency},{url},county,{region}\n", "utf-8")
    db = tmp / "n.db"
    extra = [a for s in ("NIANBAO_CMS_HINTS=False", "AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", *settings)
             for a in ("-s", s)]
    with running(portal) as proxy:
        env = {**os.environ, "http_proxy": proxy, "HTTP_PROXY": proxy}
        env.pop("no_proxy", None), env.pop("NO_PROXY", None)
        cmd = NIANBAO + ["crawl", "--sites", str(sites), "--db", str(db), "--quiet", *extra]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    runs = subprocess.run(NIANBAO + ["runs", "--db", str(db)], capture_output=True, text=True, timeout=60,
                          check=True).stdout  # fmt: skip
    with sqlite3.connect(db) as c:
        fetched = {u for (u,) in c.execute("SELECT url FROM documents")}
        reports = {u for (u,) in c.execute("SELECT d.url FROM reports r JOIN documents d ON d.id = r.document_id")}
        stats = dict(c.execute("SELECT key, value FROM json_each((SELECT stats FROM runs ORDER BY id DESC LIMIT 1))"))
    return PortalCrawl(fetched, reports, stats, runs)
