"""Originals as page images made on the server: a PDF and a DOCX report, rendered and served."""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import warnings
from pathlib import Path

import pytest

from nianbao import intake
from nianbao.sandbox.docx_fast import render_docx
from nianbao.sandbox.pdf_fast import render_pdf
from nianbao.sandbox.reports import build_report
from nianbao.storage import users
from nianbao.storage.store import Store

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
from starlette.testclient import TestClient  # noqa: E402

from nianbao.workbench.app import create_app  # noqa: E402

pytestmark = pytest.mark.slow
PNG = b"\x89PNG\r\n\x1a\n"
SHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"


@pytest.fixture()
def client_ids(tmp_path):
    if not shutil.which("pdftoppm") or not shutil.which("libreoffice"):
        pytest.skip("poppler or LibreOffice missing")
    path = tmp_path / "p.db"
    ids = {}
    with Store(path) as store:
        for fmt, render in (("pdf", render_pdf), ("docx", render_docx)):
            name = f"鞍山市铁西区人民政府{'' if fmt == 'pdf' else '办公室'}"
            gen = build_report(name, "government", 2023, random.Random(fmt), county="铁西区", portal="铁西区人民政府网站")
            body = render(gen.report)
            ids[fmt], _ = intake.ingest_bytes(store, body, f"http://www.example-gov.cn/210303/2023.{fmt}",
                                              url=f"http://www.example-gov.cn/210303/2023.{fmt}",
                                              hints={"agency": name}, level="county", region="210303",
                                              today=dt.date(2024, 6, 30))  # fmt: skip
        users.add_user(store, "bob", "secret-pass-2", "readonly")
    app = create_app(path)
    c = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "bob", "password": "secret-pass-2", "csrf_token": token})
    yield c, ids, path
    app.state.store.close()


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_original_pages_are_images_made_on_the_server(client_ids, fmt):
    client, ids, path = client_ids
    report = client.get(f"/reports/{ids[fmt]}").text
    link = re.search(r'id="show-pages" href="([^"]+)"', report).group(1)
    listing = client.get(link).text
    pages = re.findall(r'<img src="([^"]+\.png)"', listing)
    assert pages, listing[-500:]
    first = client.get(pages[0])
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert first.content.startswith(PNG) and len(first.content) > 5000
    assert client.get(link + f"/{len(pages) + 1}.png").status_code == 404
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"original-{fmt}-page-1.png").write_bytes(first.content)
    cached = list((path.parent / (path.name + ".files") / "pages").rglob("page-*.png"))
    assert len(cached) >= len(pages)  # cached under the data folder only
