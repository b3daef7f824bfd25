"""Fixtures shared by the test modules: a store, a Redis server, a sandbox proxy.

Everything a fixture starts it stops; servers listen on 127.0.0.1 only.
"""

from __future__ import annotations

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
