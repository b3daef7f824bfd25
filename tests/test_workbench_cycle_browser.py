"""The officer's cycle in real Chromium: review → confirm → 通报 → bulk 已通知整改 → corrected reports
→ 已整改 / 逾期未整改, scores, and printing without the app's chrome.

``nianbao serve`` runs in a subprocess over a real SQLite file; corrected reports are ingested
through the same intake path a crawl uses while the server runs.  Screenshots go to
``test-output/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
from pathlib import Path

import docx
import pytest

from nianbao.sandbox import sample
from nianbao.sandbox.harness import serving_workbench
from nianbao.storage import rectify, users
from nianbao.storage.store import Store
from tests.conftest import CHROMIUM, DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
LISHAN, TIEDONG = 2, 3


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed")
    db = tmp_path_factory.mktemp("cycle") / "cycle.db"
    with Store(db) as store:
        ids = sample.build(store)
        users.add_user(store, "alice", "secret-pass-1", "reviewer")
    with serving_workbench(db) as base:
        yield {"base": base, "db": db, "ids": ids}


@pytest.fixture(scope="module")
def page(server, browser):
    ctx = browser.new_context(**DESKTOP)
    pg = ctx.new_page()
    pg.on("dialog", lambda d: d.accept())
    pg.goto(server["base"] + "/")
    pg.fill("input[name=username]", "alice")
    pg.fill("input[name=password]", "secret-pass-1")
    pg.click("button[type=submit]")
    pg.wait_for_url(server["base"] + "/")
    yield pg
    ctx.close()


def test_the_whole_cycle(server, page, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, ids = server["base"], server["ids"]

    # review → confirm: the two defective 2023 reports of 鞍山市 (立山区 arithmetic, 铁东区 prose)
    for key in ((LISHAN, 2023), (TIEDONG, 2023)):
        page.goto(f"{base}/reports/{ids[key]}")
        forms = page.locator("form.review")
        for i in range(forms.count()):
            form = page.locator("form.review").nth(i)
            form.locator("input[name=decision][value=confirmed]").check()
            form.locator("input[name=note]").fill("已核实")
            form.locator("button[type=submit]").click()
            page.wait_for_load_state()
    page.goto(f"{base}/reports/{ids[(LISHAN, 2023)]}")
    assert page.locator("form.review input[name=note]").first.input_value() == "已核实"  # pre-filled

    # the review queue: errors and warnings by default, search, region selector
    page.goto(f"{base}/findings?region=210300&year=2023")
    page.screenshot(path=str(SHOTS / "findings-queue.png"), full_page=True)
    assert page.locator("select[name=region]").input_value() == "210300"

    # 通报 for the prefecture: DOCX from the overview button, read back
    page.goto(f"{base}/?region=210300&year=2023")
    page.fill("#notice-form input[name=deadline]", "2030-06-30")
    with page.expect_download() as dl:
        page.click("#notice-docx")
    path = tmp_path / "notice.docx"
    dl.value.save_as(path)
    d = docx.Document(str(path))
    text = "\n".join(p.text for p in d.paragraphs)
    with Store(server["db"]) as store:
        confirmed = store.query("SELECT DISTINCT f.agency FROM findings f JOIN reviews v ON v.fingerprint = "
                                "f.fingerprint WHERE v.status = 'confirmed' AND f.year = 2023")  # fmt: skip
    assert {r["agency"] for r in confirmed} == {"鞍山市立山区人民政府", "鞍山市铁东区人民政府"}
    demand = text.split("三、整改要求")[1]
    assert all(r["agency"] in demand for r in confirmed) and "海城市人民政府" not in demand
    assert "于2030年6月30日前完成整改" in text

    # bulk 已通知整改 with a deadline, on the filtered list of confirmed findings
    deadline = rectify.today_beijing() + dt.timedelta(days=14)
    page.goto(f"{base}/findings?region=210300&year=2023&status=confirmed")
    page.check("#bulk input[name=scope][value=filtered]")
    page.select_option("#bulk select[name=decision]", "notified")
    page.fill("#bulk input[name=deadline]", deadline.isoformat())
    page.fill("#bulk input[name=notified_to]", "立山区、铁东区人民政府办公室")
    page.click("#bulk button[type=submit]")
    page.wait_for_load_state()
    assert "已通知整改" in page.locator(".flash").inner_text()

    # 立山区 republishes a corrected report (ingested as a crawl would); 铁东区 does not
    with Store(server["db"]) as store:
        fixed = sample.generated_page(sample.AGENCIES[LISHAN], 2023)
        sample.ingest_one(store, sample.AGENCIES[LISHAN], 2023, fixed,
                          url="http://www.example-gov.cn/210304/xxgk/ndbg/2023/corrected.html")  # fmt: skip
        states = {r["state"] for r in store.query(
            "SELECT x.state FROM rectifications x JOIN findings f ON f.fingerprint = x.fingerprint "
            "WHERE f.agency = '鞍山市立山区人民政府'")}  # fmt: skip
        assert states == {"rectified"}
        rectify.reassess(store, today=deadline + dt.timedelta(days=1))  # the deadline passes
    page.goto(f"{base}/?region=210300&year=2023")
    assert page.locator("#rect-rectified b").inner_text() == "2"
    assert page.locator("#rect-overdue b").inner_text() == "1"
    page.screenshot(path=str(SHOTS / "overview-rectification.png"), full_page=True)
    page.click("#rect-overdue")
    page.wait_for_load_state()
    listed = page.locator("table.findings tbody").inner_text()
    assert "铁东区" in listed and "逾期未整改" in listed and "立山区" not in listed
    page.screenshot(path=str(SHOTS / "findings-overdue.png"), full_page=True)
    page.goto(f"{base}/reports/{ids[(LISHAN, 2023)]}")
    assert "更正后的报告" in page.locator(".rect-evidence").first.inner_text()
    page.screenshot(path=str(SHOTS / "report-rectified.png"), full_page=True)

    # the deadline calendar of the prefecture
    page.goto(f"{base}/calendar?region=210300&year=2023")
    assert page.locator("#calendar tbody tr").count() >= 7
    page.screenshot(path=str(SHOTS / "calendar.png"), full_page=True)

    # the HTML original scrolled to and marked at the contradicting sentence
    page.goto(f"{base}/reports/{ids[(TIEDONG, 2023)]}")
    page.click("a.locate")
    frame = page.frame(name="original")
    frame.wait_for_selector("#nianbao-mark")
    box, mark = page.locator("iframe[name=original]").bounding_box(), frame.locator("#nianbao-mark").bounding_box()
    assert box["y"] - 2 <= mark["y"] <= box["y"] + box["height"], (box, mark)  # scrolled into the frame's view
    page.locator("iframe[name=original]").screenshot(path=str(SHOTS / "original-marked.png"))

    # scores: sortable table, printed on A4 without the app's chrome
    page.goto(f"{base}/scores?region=210300&year=2023")
    page.screenshot(path=str(SHOTS / "scores.png"), full_page=True)
    score_cells = page.locator("#score-table tbody tr td:nth-child(4)")
    page.click("#score-table thead th:nth-child(4)")
    asc = [float(t) for t in score_cells.all_inner_texts()]
    assert asc == sorted(asc)
    page.click("#score-table thead th:nth-child(4)")
    desc = [float(t) for t in score_cells.all_inner_texts()]
    assert desc == sorted(desc, reverse=True) and desc[0] > desc[-1]
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible() and not page.locator("form.filters").is_visible()
    assert page.locator("#score-table").is_visible()
    pdf = page.pdf(format="A4")
    (SHOTS.parent / "scores-print.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(SHOTS.parent / "scores-print.pdf"),
                    str(SHOTS / "scores-print")], check=True, timeout=60)  # fmt: skip
    page.goto(f"{base}/reports/{ids[(TIEDONG, 2023)]}")
    assert not page.locator("header.top").is_visible() and not page.locator("form.review").first.is_visible()
    page.emulate_media(media="screen")
    assert page.locator("header.top").is_visible()
    assert io.BytesIO(pdf).getbuffer().nbytes > 5000
