"""An HTTP/1.1 forward proxy on 127.0.0.1 that serves every host of a simulated network.

Clients send absolute-URI requests (``GET http://www.xxx.gov.cn/path HTTP/1.1``) as they do to
any proxy (``http_proxy=http://127.0.0.1:PORT``); plain origin-form requests are answered by
their Host header.  Hosts outside the network get 502 (an offline internet); CONNECT (https)
is refused with 405.  Keep-alive, HEAD, ETag/Last-Modified and conditional GETs (304).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from nianbao.sandbox.network import Network

log = logging.getLogger(__name__)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    network: Network
    hosts: Counter  # every host a client asked for (plain requests and CONNECT): who the crawler talks to

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        log.debug("connection error from %s", client_address, exc_info=True)


class ProxyHandler(BaseHTTPRequestHandler):
    """One connection; answers from ``server.network``."""

    protocol_version = "HTTP/1.1"
    server_version = "nianbao-sandbox/1.0"
    timeout = 30  # idle keep-alive connections are closed after this

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        log.debug("%s " + format, self.address_string(), *args)

    def _target(self) -> str:
        if self.path.startswith(("http://", "https://")):
            return self.path
        host = self.headers.get("Host", "")
        return f"http://{host}{self.path}"

    def _send(self, status: int, body: bytes, headers: dict[str, str], head: bool = False) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and not head and status not in (204, 304):
            self.wfile.write(body)

    def _answer(self, head: bool = False) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)  # POST bodies are read and ignored
        url = self._target()
        self.server.hosts[(urlsplit(url).hostname or "?").lower()] += 1  # type: ignore[attr-defined]
        network: Network = self.server.network  # type: ignore[attr-defined]
        try:
            resp = network.respond(self.command, url, dict(self.headers.items()))
        except Exception:  # a bug in a page must not kill the connection silently
            log.exception("sandbox failed on %s", url)
            self._send(500, b"sandbox error", {"Content-Type": "text/plain"}, head)
            return
        if hasattr(resp, "write_to"):  # nianbao.sandbox.faults: a slow, trickling, broken or huge answer
            resp.write_to(self, head)
            return
        if resp is None:
            host = urlsplit(url).hostname or "?"
            body = f"502 Bad Gateway: cannot resolve {host} (offline sandbox)".encode()
            self._send(502, body, {"Content-Type": "text/plain; charset=utf-8"}, head)
            return
        self._send(resp.status, resp.body, resp.headers, head)

    def do_GET(self) -> None:  # noqa: N802
        self._answer()

    def do_POST(self) -> None:  # noqa: N802
        self._answer()

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def do_CONNECT(self) -> None:  # noqa: N802
        self.server.hosts[self.path.rsplit(":", 1)[0].strip("[]").lower()] += 1  # type: ignore[attr-defined]
        self.close_connection = True
        self._send(405, b"CONNECT (https) is not supported by the sandbox proxy; use http://",
                   {"Content-Type": "text/plain"})


class ProxyServer:
    """A running proxy in a background thread."""

    def __init__(self, network: Network, host: str = "127.0.0.1", port: int = 0):
        self.network = network
        self.httpd = _Server((host, port), ProxyHandler)
        self.httpd.network = network
        self.httpd.hosts = Counter()
        self.httpd.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.thread: threading.Thread | None = None

    @property
    def hosts(self) -> Counter:
        """Requests per host name seen so far (including CONNECT tunnels asked for)."""
        return self.httpd.hosts

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ProxyServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       name=f"sandbox-proxy-{self.port}", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread:
            self.thread.join(timeout=5)

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)


@contextlib.contextmanager
def running(network: Network, port: int = 0) -> Iterator[str]:
    """Serve ``network`` on 127.0.0.1 (a free port unless given); yields the proxy URL."""
    server = ProxyServer(network, port=port).start()
    try:
        yield server.url
    finally:
        server.stop()
