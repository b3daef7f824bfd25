"""Hostile servers and files: a fault mode of the simulated portal network.

``generate(seed, size, faults="all")`` wraps a :class:`nianbao.sandbox.network.Network` in a
:class:`FaultyNetwork` that answers like it except where a seeded plan puts a fault: slow and
trickling answers, stalls, connection resets, truncated bodies (wrong Content-Length), 5xx
bursts with and without Retry-After, 429, redirect loops and long chains, a calendar link
trap, duplicate links with session ids and tracking parameters, a robots.txt that disallows
the report column, wrong charset headers, a 50 MB page (streamed, never held), a gzip bomb,
hostile attachments (a "PDF" that is HTML, a truncated PDF, an encrypted PDF, a DOCX zip bomb,
a 20000 x 20000 PNG) and a report page with a live clock and view counter.

Every fault is recorded in ``ground_truth()["faults"]`` as ``{kind, url, site, expect}``;
``expect`` says what a robust crawler does about it: ``recovered`` (the page is still read),
``error`` (a per-URL error in the run's health report), ``file_error`` (a per-file reading
error), ``bounded`` (a trap the crawler stops following), ``deduplicated`` (one document per
report), ``blocked`` (robots.txt obeyed), ``no_change`` (no change finding).

Streaming and broken answers are :class:`StreamedResponse` objects whose ``write_to(handler,
head)`` the sandbox server calls instead of sending a body (see :mod:`nianbao.sandbox.server`).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import io
import random
import re
import socket
import struct
import threading
import time
import zipfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from nianbao.sandbox import network as base_network
from nianbao.sandbox.network import Network, Response
from nianbao.sandbox.pdf_fast import render_pdf
from nianbao.sandbox.plan import CountyPlan, ReportPlan

FAULT_KINDS = (
    "slow", "trickle", "stall", "reset", "truncated", "burst", "ratelimit", "redirect_loop", "redirect_chain",
    "calendar", "session_ids", "robots", "charset", "huge_html", "gzip_bomb", "pdf_html", "pdf_truncated",
    "pdf_encrypted", "docx_bomb", "huge_image", "live_page",
)  # fmt: skip
# hostile servers (not in "all": ask for them by name or as "hostile"): redirects and attachments to
# file:, ftp:, data: and internal addresses, a 50 MB robots.txt, a 200,000-link page, a portal listing
# 200,000 report links over 50 list pages
HOSTILE_KINDS = ("redirect_internal", "file_attachment", "huge_robots", "link_flood", "report_flood")
INTERNAL_TARGETS = (
    "file:///etc/passwd", "ftp://10.0.0.1/zwgk/index.html", "data:text/html,<a href=/x>x</a>",
    "http://169.254.169.254/latest/meta-data/", "http://0xa9fea9fe/latest/meta-data/",
    "http://2852039166/latest/meta-data/", "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
    "http://127.0.0.1:9/", "http://10.0.0.1/", "http://localhost:6379/",
)  # fmt: skip
HOSTILE_ATTACHMENTS = ("file:///etc/passwd.pdf", "ftp://10.0.0.1/ndbg.pdf", "http://169.254.169.254/ndbg.pdf")
ROBOTS_BYTES = 50 * 1024 * 1024
FLOOD_LINKS = 200_000
FLOOD_PAGES = 50  # report_flood: list pages of FLOOD_LINKS // FLOOD_PAGES report links each

SLOW_SECONDS = 2.0  # headers of a slow page come after this
TRICKLE_CHUNK, TRICKLE_PAUSE = 1024, 0.03  # a trickling body: this many bytes, then a pause
STALL_SECONDS = 90.0  # a stalled answer sends a few bytes, then nothing for this long
HUGE_HTML_BYTES = 50 * 1024 * 1024
GZIP_BOMB_MEMBERS, GZIP_MEMBER_BYTES = 32, 64 * 1024 * 1024  # 2 GB once inflated
DOCX_BOMB_BYTES = 128 * 1024 * 1024
REDIRECT_CHAIN = 30
_SESSION = re.compile(r";jsessionid=[^?#/]*", re.I)


@dataclass
class Fault:
    """One planned fault: where, how, and what a robust crawler does about it."""

    kind: str
    url: str  # the URL the crawler meets it at (canonical: no session id)
    site: str  # the portal's entry URL (the site list row)
    expect: str
    params: dict[str, Any] = field(default_factory=dict)

    def truth(self) -> dict[str, Any]:
        out = {"kind": self.kind, "url": self.url, "site": self.site, "expect": self.expect}
        for k in ("times", "status", "retry_after", "agency", "year", "page", "header", "duplicated", "blocked"):
            if k in self.params:
                out[k] = self.params[k]
        return out


# ---------------------------------------------------------------------------- hostile files (pure)


def raw_pdf(objs: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF written by hand from its objects (object 1 is the catalog); ``trailer``: extra entries."""
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, trailer, xref)
    return out


def encrypted_pdf() -> bytes:
    """A one-page PDF with a Standard security handler and a non-empty user password."""
    return raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -44 >>",
    ], b"/Encrypt 4 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] ")


def huge_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


_CACHE: dict[str, bytes] = {}
_CACHE_LOCK = threading.Lock()


def docx_bomb() -> bytes:
    """A DOCX whose document.xml inflates to 128 MB (written in 1 MB steps: never held)."""
    with _CACHE_LOCK:
        if "docx" not in _CACHE:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                            'openxmlformats.org/package/2006/content-types"/>')
                with zf.open("word/document.xml", "w", force_zip64=True) as fh:
                    block = b" " * (1 << 20)
                    for _ in range(DOCX_BOMB_BYTES >> 20):
                        fh.write(block)
            _CACHE["docx"] = buf.getvalue()
        return _CACHE["docx"]


def gzip_bomb() -> bytes:
    """Concatenated gzip members of zeros: ~2 MB on the wire, 2 GB once inflated."""
    with _CACHE_LOCK:
        if "gzip" not in _CACHE:
            co = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            block = b"\x00" * (1 << 20)
            member = b"".join(co.compress(block) for _ in range(GZIP_MEMBER_BYTES >> 20)) + co.flush()
            _CACHE["gzip"] = member * GZIP_BOMB_MEMBERS
        return _CACHE["gzip"]


FAKE_PDF_HTML = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>文件不存在</title></head><body>"
                 "<h1>提示</h1><p>您访问的文件不存在或已过期，请返回首页。</p></body></html>").encode()


# ---------------------------------------------------------------------------- streamed answers


@dataclass
class StreamedResponse:
    """An answer the server must send itself (slow, trickling, broken or huge).

    ``mode``: ``delay`` (headers after ``delay`` s, then the body), ``trickle`` (the body in
    small chunks with pauses), ``stall`` (a few bytes, then silence), ``reset`` (RST, no answer),
    ``truncated`` (Content-Length says more than is sent), ``huge`` (a lazily generated body).
    """

    mode: str
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    size: int = 0
    stop: threading.Event | None = None

    def _head(self, handler, length: int) -> None:
        handler.send_response(self.status)
        for k, v in self.headers.items():
            handler.send_header(k, v)
        handler.send_header("Content-Length", str(length))
        handler.end_headers()

    def write_to(self, handler, head: bool = False) -> None:
        """Send this answer on ``handler`` (a ``BaseHTTPRequestHandler``)."""
        try:
            self._write(handler, head)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            handler.close_connection = True  # the client gave up (timeout, size cap): fine

    def _write(self, handler, head: bool) -> None:
        if self.mode == "reset":
            handler.close_connection = True
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.connection.close()
            return
        if self.mode == "delay":
            self._sleep(self.delay)
        if self.mode == "huge":  # no Content-Length: the client only learns the size by reading
            handler.close_connection = True
            handler.send_response(self.status)
            for k, v in self.headers.items():
                handler.send_header(k, v)
            handler.send_header("Connection", "close")
            handler.end_headers()
            if not head:
                self._huge(handler)
            return
        length = len(self.body)
        if self.mode == "stall":
            handler.close_connection = True
            self._head(handler, length)
            if not head:
                handler.wfile.write(self.body[:64])
                handler.wfile.flush()
                self._sleep(STALL_SECONDS)
            return
        if self.mode == "truncated":
            handler.close_connection = True
            self._head(handler, length)
            if not head:
                handler.wfile.write(self.body[: length // 2])
                handler.wfile.flush()
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        self._head(handler, length)
        if head:
            return
        if self.mode == "trickle":
            for i in range(0, length, TRICKLE_CHUNK):
                handler.wfile.write(self.body[i:i + TRICKLE_CHUNK])
                handler.wfile.flush()
                self._sleep(TRICKLE_PAUSE)
        else:
            handler.wfile.write(self.body)

    def _sleep(self, seconds: float) -> None:
        if self.stop is not None:
            self.stop.wait(seconds)
        else:
            time.sleep(seconds)

    def _huge(self, handler) -> None:
        head = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>政务公开专题</title></head><body><ul>'
                ).encode()
        tail = b"</ul></body></html>"
        sent = 0
        handler.wfile.write(head)
        sent += len(head)
        i = 0
        while sent < self.size - len(tail):
            if self.stop is not None and self.stop.is_set():
                return
            rows = "".join(f'<li><span>专题信息第{i + k}条：政务公开工作动态</span></li>' for k in range(200))
            chunk = rows.encode("utf-8")[: self.size - len(tail) - sent]
            handler.wfile.write(chunk)
            sent += len(chunk)
            i += 200
        handler.wfile.write(tail)


# ---------------------------------------------------------------------------- URL helpers (pure)


def clean_path(path: str) -> str:
    """A path without ``;jsessionid=…`` and with ``index.html`` for a trailing slash."""
    path = _SESSION.sub("", path or "/")
    return path + "index.html" if path.endswith("/") else path


def canonical(url: str) -> str:
    """The URL a fault is keyed by: no session id, no tracking or session query parameters."""
    parts = urlsplit(url)
    query = "&".join(q for q in parts.query.split("&") if q and not re.match(r"(utm_\w+|sid|jsessionid)=", q, re.I))
    return urlunsplit(("http", (parts.hostname or "").lower(), clean_path(parts.path), query, ""))


def _http_date(t: float) -> str:
    return email.utils.formatdate(t, usegmt=True)


# ---------------------------------------------------------------------------- the network


class FaultyNetwork:
    """A :class:`Network` with planned faults; everything else is delegated to it."""

    def __init__(self, base: Network, faults: list[Fault], *, seed: int):
        self.base = base
        self.seed = seed
        self.faults = faults
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._at: dict[str, Fault] = {}  # canonical URL -> fault answered there
        self._inject: dict[str, list[str]] = defaultdict(list)  # canonical page URL -> HTML to insert
        self._served: Counter[str] = Counter()
        self.times: dict[str, list[float]] = defaultdict(list)  # canonical URL -> request times (monotonic)
        self._hits = 0
        for f in faults:
            for u in f.params.get("answer_at", [f.url]):
                self._at[canonical(u)] = f
            for page, snippet in f.params.get("inject", []):
                self._inject[canonical(page)].append(snippet)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    def close(self) -> None:
        """Release stalled answers (call when the server stops)."""
        self.stop.set()

    def warm(self) -> None:
        """Build the bombs and every attachment now (a loaded machine must not time out on them later)."""
        if any(f.kind == "gzip_bomb" for f in self.faults):
            gzip_bomb()
        if any(f.kind == "docx_bomb" for f in self.faults):
            docx_bomb()
        for p in self.base.plans:
            for r in p.reports:
                if r.missing or r.removed:
                    continue
                if r.attachments:
                    self.base.attachment_bytes(r, r.attachments[0].rsplit(".", 1)[1])
                elif r.fmt.startswith("direct"):
                    self.base.attachment_bytes(r, r.path.rsplit(".", 1)[1])

    # ------------------------------------------------------------------ facts

    def ground_truth(self, details: bool = False) -> dict[str, Any]:
        truth = self.base.ground_truth(details)
        truth["faults"] = [f.truth() for f in self.faults]
        blocked = sorted({u for f in self.faults if f.kind == "robots" for u in f.params.get("blocked", [])})
        truth["blocked"] = blocked
        return truth

    def served(self, url: str) -> int:
        """How many requests reached ``url`` (canonical: any session id or tracking variant)."""
        return self._served[canonical(url)]

    # ------------------------------------------------------------------ answers

    def respond(self, method: str, url: str, headers: dict[str, str] | None = None):
        key = canonical(url)
        with self._lock:
            self._served[key] += 1
            n = self._served[key]
            self.times[key].append(time.monotonic())
        fault = self._at.get(key) or self._at.get(key.split("?", 1)[0])
        if fault is not None:
            got = self._fault(fault, n, url, key)
            if got is not None:
                return got
        parts = urlsplit(url)
        clean = urlunsplit((parts.scheme or "http", parts.netloc, _SESSION.sub("", parts.path), parts.query, ""))
        inject = self._inject.get(key)
        live = fault is not None and fault.kind == "live_page"
        charset = fault.params.get("header") if fault is not None and fault.kind == "charset" else None
        if not inject and not live and charset is None:
            return self.base.respond(method, clean, headers)
        plain = {k: v for k, v in (headers or {}).items()
                 if k.lower() not in ("if-none-match", "if-modified-since")}  # fmt: skip
        resp = self.base.respond(method, clean, plain)
        if resp is None or resp.status != 200:
            return resp
        body = resp.body
        if inject:
            body = self._insert(key, body, "".join(inject))
        if live:
            body = self._live(key, body)
        out = dict(resp.headers)
        if charset is not None:
            out["Content-Type"] = f"text/html; charset={charset}" if charset else "text/html"
        out["ETag"] = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        if live:
            out["Last-Modified"] = _http_date(time.time())
        new = Response(200, body, out)
        if base_network._not_modified(new, {k.lower(): v for k, v in (headers or {}).items()}):
            return Response(304, b"", {k: v for k, v in out.items() if k in ("ETag", "Last-Modified")})
        return new

    def _plan_of_url(self, key: str) -> CountyPlan:
        host = urlsplit(key).hostname or ""
        return self.base._hosts[host]

    def _encoding(self, key: str) -> str:
        return "gbk" if self._plan_of_url(key).charset.startswith("gbk") else "utf-8"

    def _insert(self, key: str, body: bytes, snippet: str) -> bytes:
        enc = self._encoding(key)
        text = body.decode(enc, "replace")
        cut = text.rfind("</body>")
        cut = len(text) if cut < 0 else cut
        return (text[:cut] + f'<div class="zt">{snippet}</div>' + text[cut:]).encode(enc, "xmlcharrefreplace")

    def _live(self, key: str, body: bytes) -> bytes:
        with self._lock:
            self._hits += 1
            hits = self._hits
        enc = self._encoding(key)
        now = dt.datetime.now()
        week = "一二三四五六日"[now.weekday()]
        text = body.decode(enc, "replace")
        text = re.sub(r'<span id="hits">\d+</span>', f'<span id="hits">{1000 + hits}</span>', text)
        clock = (f'<div class="top-clock">当前时间：{now:%Y-%m-%d %H:%M:%S} 星期{week}</div>'
                 f'<div class="visits">访问量：{5000 + hits}次</div>')
        text = text.replace("<body>", "<body>" + clock, 1)
        return text.encode(enc, "xmlcharrefreplace")

    def _fault(self, f: Fault, n: int, url: str, key: str):
        """The faulty answer to the ``n``-th request of ``key``; None: answer normally."""
        k, prm = f.kind, f.params
        times = prm.get("times")
        if times is not None and n > times:
            return None
        html = {"Content-Type": "text/html; charset=utf-8"}
        if k == "slow":
            return self._delegate(url, "delay", delay=SLOW_SECONDS)
        if k == "trickle":
            return self._delegate(url, "trickle")
        if k == "stall":
            return StreamedResponse("stall", body=b"<html><body>" + b" " * 4096, headers=html, stop=self.stop)
        if k == "reset":
            return StreamedResponse("reset", stop=self.stop)
        if k == "truncated":
            got = self._delegate(url, "truncated")
            if got is None or got.status != 200:
                body = "<html><body>" + "<p>政务公开动态信息。</p>" * 400 + "</body></html>"
                return StreamedResponse("truncated", body=body.encode("utf-8"), headers=html, stop=self.stop)
            return got
        if k in ("burst", "ratelimit"):
            h = dict(html)
            if prm.get("retry_after") is not None:
                h["Retry-After"] = str(prm["retry_after"])
            status = prm["status"]
            return Response(status, f"<html><body><h1>{status}</h1>服务器繁忙，请稍后再试。</body></html>".encode(), h)
        if k == "redirect_loop":
            nxt = prm["answer_at"][1] if key == canonical(prm["answer_at"][0]) else prm["answer_at"][0]
            return Response(302, b"", {"Location": nxt})
        if k == "redirect_chain":
            step = int(parse_qs(urlsplit(url).query).get("hop", ["0"])[0] or 0)
            base = f.url.split("?", 1)[0]
            return Response(302, b"", {"Location": f"{base}?hop={step + 1}"})
        if k == "calendar":
            return Response(200, self._calendar(f, url).encode("utf-8"), dict(html))
        if k == "huge_html":
            return StreamedResponse("huge", headers=html, size=HUGE_HTML_BYTES, stop=self.stop)
        if k == "gzip_bomb":
            return Response(200, gzip_bomb(), {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"})
        if k in ("pdf_html", "pdf_truncated", "pdf_encrypted", "docx_bomb", "huge_image"):
            return self._hostile_file(f)
        if k == "redirect_internal":
            return Response(302, b"", {"Location": prm["targets"][key]})
        if k == "huge_robots":
            return StreamedResponse("huge", headers={"Content-Type": "text/plain"}, size=ROBOTS_BYTES, stop=self.stop)
        if k == "link_flood":
            links = "".join(f'<a href="/zwgk/lj/{i}.html">{i}</a>' for i in range(FLOOD_LINKS))
            return Response(200, f"<html><head><title>网站地图</title></head><body>{links}</body></html>".encode(), html)
        if k == "report_flood":
            return Response(200, self._report_flood(f, key).encode("utf-8"), html)
        return None  # live_page, charset, session_ids, robots: answered by respond()

    def _delegate(self, url: str, mode: str, delay: float = 0.0) -> StreamedResponse | None:
        parts = urlsplit(url)
        clean = urlunsplit((parts.scheme or "http", parts.netloc, _SESSION.sub("", parts.path), parts.query, ""))
        resp = self.base.respond("GET", clean, {})
        if resp is None:
            return None
        return StreamedResponse(mode, status=resp.status, body=resp.body, headers=dict(resp.headers), delay=delay,
                                stop=self.stop)  # fmt: skip

    def _hostile_file(self, f: Fault) -> Response:
        k = f.kind
        if k == "pdf_html":
            return Response(200, FAKE_PDF_HTML, {"Content-Type": "application/pdf"})
        if k == "pdf_truncated":
            agency, year = f.params["agency"], f.params["year"]
            pdf = render_pdf(self.base.report(agency, year))
            return Response(200, pdf[: len(pdf) * 2 // 5], {"Content-Type": "application/pdf"})
        if k == "pdf_encrypted":
            return Response(200, encrypted_pdf(), {"Content-Type": "application/pdf"})
        if k == "docx_bomb":
            return Response(200, docx_bomb(), {
                "Content-Type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
        return Response(200, huge_png(), {"Content-Type": "image/png"})

    def _report_flood(self, f: Fault, key: str) -> str:
        """One of FLOOD_PAGES list pages, each of FLOOD_LINKS // FLOOD_PAGES report-looking links."""
        pages = f.params["answer_at"]
        n = pages.index(next(u for u in pages if canonical(u) == key))
        per = FLOOD_LINKS // FLOOD_PAGES
        base = f.url.rsplit("/", 1)[0]
        rows = "".join(f'<li><a href="{base}/t{n * per + i}.html">{2000 + i % 25}年度政府信息公开工作年度报告</a>'
                       f"<span>2024-01-{1 + i % 28:02d}</span></li>" for i in range(per))
        pager = f'<a href="{pages[n + 1]}">下一页</a>' if n + 1 < len(pages) else ""
        return ('<html><head><meta charset="utf-8"><title>政府信息公开年度报告</title>'
                f'<meta name="ColumnName" content="政府信息公开年度报告"></head><body><ul>{rows}</ul>{pager}</body></html>')

    def _calendar(self, f: Fault, url: str) -> str:
        q = parse_qs(urlsplit(url).query)
        try:
            day = dt.date.fromisoformat(q.get("date", [""])[0])
        except ValueError:
            day = dt.date(2024, 1, 1)
        base = f.url.split("?", 1)[0]
        rng = random.Random(f"{self.seed}/calendar/{url}")

        def link(d: dt.date, label: str) -> str:
            sid = f"{rng.getrandbits(64):016X}"
            href = base.replace("index.html", f"index.html;jsessionid={sid}") + f"?date={d.isoformat()}&sid={sid[:8]}"
            return f'<li><a href="{href}">信息公开日历 {d.year}年{d.month:02d}月{d.day:02d}日{label}</a></li>'

        month = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        links = [link(day - dt.timedelta(days=1), "（前一天）"), link(day + dt.timedelta(days=1), "（后一天）"),
                 link(month, "（下个月）"), link(day + dt.timedelta(days=365), "（明年）")]  # fmt: skip
        return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>政务公开日历</title></head><body>'
                f"<h2>政务公开日历 {day.isoformat()}</h2><p>本日暂无公开信息。</p><ul>{''.join(links)}</ul></body></html>")


# ---------------------------------------------------------------------------- planning


def parse_kinds(faults: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """``all``, a comma-separated list or a list of kinds -> kinds (unknown kinds raise ValueError)."""
    if faults is None or faults == "" or faults == "none":
        return []
    if isinstance(faults, str):
        faults = [k.strip() for k in faults.split(",") if k.strip()]
    if "all" in faults:
        return list(FAULT_KINDS)
    if "hostile" in faults:
        faults = [k for k in faults if k != "hostile"] + list(HOSTILE_KINDS)
    bad = [k for k in faults if k not in FAULT_KINDS + HOSTILE_KINDS]
    if bad:
        raise ValueError(f"unknown fault kinds: {', '.join(bad)} "
                         f"(known: {', '.join(FAULT_KINDS + HOSTILE_KINDS)}, hostile)")
    return list(dict.fromkeys(faults))


def _html_reports(p: CountyPlan) -> list[ReportPlan]:
    """Published reports whose article page holds the whole report (HTML), on the portal's own host."""
    return [r for r in p.reports
            if not r.missing and not r.removed and not r.transient and r.fmt == "html" and r.host == p.host]


def plan_faults(net: Network, kinds: list[str], seed: int) -> list[Fault]:
    """Place each kind of fault on the network (deterministic in ``seed``)."""
    rng = random.Random(f"{seed}/faults")
    plans = list(net.plans)
    robots_site = None
    if "robots" in kinds:
        robots_site = plans[-1] if len(plans) > 1 else plans[0]
    others = [p for p in plans if p is not robots_site] or plans
    used: set[str] = set()  # report pages already given a fault
    out: list[Fault] = []

    def site_for(i: int) -> CountyPlan:
        return others[i % len(others)]

    def report_page(p: CountyPlan) -> ReportPlan:
        for q in [p] + [x for x in others if x is not p]:
            cands = [r for r in _html_reports(q) if r.url not in used]
            if cands:
                r = rng.choice(cands)
                used.add(r.url)
                return r
        raise ValueError("no HTML report page left for a fault")

    def entry(p: CountyPlan) -> str:
        return canonical(p.entry)

    def nav(p: CountyPlan, kind: str, path: str, text: str, expect: str, **params: Any) -> Fault:
        url = f"http://{p.host}{path}"
        inject = [(p.entry, f'<a href="{url}">{text}</a>')]
        return Fault(kind, canonical(url), p.entry, expect, {**params, "inject": inject})

    def column(p: CountyPlan) -> str:
        return f"http://{p.host}{p.main_column}index.html"

    def on_report(kind: str, p: CountyPlan, expect: str, **params: Any) -> Fault:
        r = report_page(p)
        return Fault(kind, r.url, site_of(r), expect, {**params, "agency": r.agency, "year": r.year})

    def site_of(r: ReportPlan) -> str:
        return next(p.entry for p in plans if r in p.reports)

    def attachment(kind: str, p: CountyPlan, ext: str, label: str) -> Fault:
        r = report_page(p)
        url = f"http://{r.host}{r.path.rsplit('/', 1)[0]}/P0{rng.randint(10000, 99999)}.{ext}"
        inject = [(r.url, f'<div class="attachments">附件：<a href="{url}">{label}.{ext}</a></div>')]
        return Fault(kind, url, site_of(r), "file_error",
                     {"inject": inject, "agency": r.agency, "year": r.year, "page": r.url})

    for i, kind in enumerate(kinds):
        p = site_for(i)
        if kind == "slow":
            out.append(Fault(kind, canonical(column(p)), p.entry, "recovered"))
        elif kind == "trickle":
            out.append(on_report(kind, p, "recovered"))
        elif kind == "stall":
            out.append(nav(p, kind, "/zwgk/zxft/index.html", "政务公开在线访谈", "error"))
        elif kind == "reset":
            out.append(on_report(kind, p, "recovered", times=2))
            out.append(nav(p, kind, "/zwgk/hygq/index.html", "政务公开回应关切", "error"))
        elif kind == "truncated":
            out.append(on_report(kind, p, "recovered", times=1))
            out.append(nav(p, kind, "/zwgk/zcjd/index.html", "政务公开政策文件", "error"))
        elif kind == "burst":
            out.append(Fault(kind, canonical(column(p)), p.entry, "recovered",
                             {"times": 2, "status": 503, "retry_after": 1}))
            out.append(on_report(kind, p, "recovered", times=2, status=502))
            out.append(on_report(kind, p, "recovered", times=1, status=500))
        elif kind == "ratelimit":
            out.append(on_report(kind, p, "recovered", times=2, status=429, retry_after=2))
        elif kind == "redirect_loop":
            a, b = f"http://{p.host}/zwgk/xw/a.html", f"http://{p.host}/zwgk/xw/b.html"
            f = nav(p, kind, "/zwgk/xw/a.html", "政务公开新闻", "bounded")
            f.params["answer_at"] = [a, b]
            out.append(f)
        elif kind == "redirect_chain":
            f = nav(p, kind, "/zwgk/tz/index.html", "政务公开专题", "error")
            f.params["answer_at"] = [f.url] + [f"{f.url}?hop={h}" for h in range(1, REDIRECT_CHAIN + 1)]
            out.append(f)
        elif kind == "calendar":
            f = nav(p, kind, "/zwgk/rili/index.html", "政务公开日历", "bounded")
            out.append(f)
        elif kind == "session_ids":
            col = p.entry  # a "latest" list on the entry page links reports with session ids and utm_*
            reps = _html_reports(p)[-4:]
            links = []
            for j, r in enumerate(reps):
                sid = f"{rng.getrandbits(48):012X}"
                variants = [r.url.replace(".html", f".html;jsessionid={sid}"), f"{r.url}?sid={sid}",
                            f"{r.url}?utm_source=wechat&utm_medium=share&utm_campaign=nb{j}"]
                links += [f'<li><a href="{v}">{r.title}</a></li>' for v in variants]
            out.append(Fault(kind, canonical(col), p.entry, "deduplicated",
                             {"inject": [(col, "<ul class=\"share\">" + "".join(links) + "</ul>")],
                              "duplicated": [r.url for r in reps]}))
        elif kind == "robots":
            q = robots_site
            q.disallow.append(q.main_column)
            blocked = [r.url for r in q.reports if not r.missing and not r.removed and r.host == q.host
                       and r.path.startswith(q.main_column)]  # fmt: skip
            out.append(Fault(kind, f"http://{q.host}/robots.txt", q.entry, "blocked", {"blocked": blocked}))
        elif kind == "charset":
            out.append(on_report(kind, p, "recovered", header="iso-8859-1"))  # a wrong charset
            out.append(on_report(kind, site_for(i + 1), "recovered", header=""))  # none at all
        elif kind == "huge_html":
            out.append(nav(p, kind, "/zwgk/ztzl/index.html", "政务公开专题专栏", "error"))
        elif kind == "gzip_bomb":
            out.append(nav(p, kind, "/zwgk/gkxx/index.html", "政务公开信息", "error"))
        elif kind == "pdf_html":
            out.append(attachment(kind, p, "pdf", "年度报告全文"))
        elif kind == "pdf_truncated":
            out.append(attachment(kind, p, "pdf", "年度报告（扫描件）"))
        elif kind == "pdf_encrypted":
            out.append(attachment(kind, p, "pdf", "年度报告（加密）"))
        elif kind == "docx_bomb":
            out.append(attachment(kind, p, "docx", "年度报告（Word版）"))
        elif kind == "huge_image":
            out.append(attachment(kind, p, "png", "年度报告数据表"))
        elif kind == "live_page":
            out.append(on_report(kind, p, "no_change"))
        elif kind == "redirect_internal":  # nav links and a report link, each redirected somewhere internal
            links, targets = [], {}
            for j, target in enumerate(INTERNAL_TARGETS):
                url = f"http://{p.host}/zwgk/zt{j}/index.html" if j % 2 else f"http://{p.host}/zwgk/ndbg/jump{j}.html"
                text = f"政务公开专题{j}" if j % 2 else f"{2015 + j}年政府信息公开工作年度报告"
                links.append(f'<a href="{url}">{text}</a>')
                targets[canonical(url)] = target
            out.append(Fault(kind, canonical(p.entry), p.entry, "refused",
                             {"inject": [(p.entry, " ".join(links))], "answer_at": list(targets), "targets": targets}))
        elif kind == "file_attachment":
            r = report_page(p)
            links = " ".join(f'<a href="{u}">年度报告附件{j}.pdf</a>' for j, u in enumerate(HOSTILE_ATTACHMENTS))
            out.append(Fault(kind, r.url, site_of(r), "refused",
                             {"inject": [(r.url, f'<div class="attachments">附件：{links}</div>')],
                              "agency": r.agency, "year": r.year, "page": r.url}))
        elif kind == "huge_robots":
            out.append(Fault(kind, f"http://{p.host}/robots.txt", p.entry, "bounded"))
        elif kind == "link_flood":
            out.append(nav(p, kind, "/zwgk/wzdt/index.html", "政务公开网站地图", "bounded"))
        elif kind == "report_flood":
            col = f"http://{p.host}/zwgk/ndbgk/index.html"
            f = Fault(kind, canonical(col), p.entry, "bounded",
                      {"inject": [(p.entry, f'<a href="{col}">政府信息公开年度报告</a>')],
                       "answer_at": [col] + [col.replace("index.html", f"index_{n}.html") for n in range(1, FLOOD_PAGES)]})
            out.append(f)
    return out


def wrap(net: Network, faults: str | list[str] | None = "all", *, seed: int | None = None) -> FaultyNetwork:
    """Put faults of the given kinds on an existing network."""
    kinds = parse_kinds(faults)
    seed = net.seed if seed is None else seed
    return FaultyNetwork(net, plan_faults(net, kinds, seed), seed=seed)


def generate(seed: int, size: int = base_network.DEFAULT_SIZE, faults: str | list[str] | None = "all") -> FaultyNetwork:
    """A reproducible network of ``size`` portals with the given faults (``all``, ``slow,reset`` …)."""
    return wrap(base_network.generate(seed, size), faults, seed=seed)
