"""Fixtures shared by the test modules: a store, a Redis server, a sandbox proxy, Chromium.

Everything a fixture starts it stops; servers listen on 127.0.0.1 only.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from nianbao.sandbox.harness import redis_server
from nianbao.sandbox.server import running
from nianbao.storage.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty store in a fresh SQLite file."""
    s = Store(tmp_path / "n.db")
    yield s
    s.close()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port for the whole session (each test uses its own job keys)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not on PATH (make system installs it)")
    with redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def proxy(network) -> Iterator[str]:
    """The sandbox's HTTP proxy serving the module's ``network`` fixture; its URL."""
    with running(network) as url:
        yield url


CHROMIUM = "/usr/bin/chromium"  # Debian's Chromium (``playwright install`` cannot run here)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip


DESKTOP = {"viewport": {"width": 1366, "height": 768}, "accept_downloads": True, "locale": "zh-CN"}  # an officer's screen


@pytest.fixture(scope="module")
def browser():
    """A Chromium the workbench browser tests drive (Playwright, sync API); closed after the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def new_page(browser):
    """Make pages, each in a fresh desktop context of the module's Chromium; closed after the test."""
    contexts = []

    def make():
        ctx = browser.new_context(**DESKTOP)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def log_in(client, name: str, password: str = "secret-pass-1"):
    """Log a workbench test client in through the login form (CSRF token and all); returns it."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    resp = client.post("/login", data={"username": name, "password": password, "csrf_token": token},
                       follow_redirects=False)  # fmt: skip
    assert resp.status_code == 303, resp.text
    return client
