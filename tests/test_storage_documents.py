"""Documents, versions and content-addressed bytes."""

from __future__ import annotations

import hashlib

import pytest

from nianbao.storage import Store
from nianbao.storage.store import canonical_url


def test_same_bytes_twice_is_one_version(store, tmp_path):
    body = "<html>年报</html>".encode()
    a = store.add_document(
        "http://www.lishan.gov.cn/xxgk/t20250120_1.html",
        body,
        status=200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        fetched_at="2025-01-21T08:00:00+00:00",
    )
    b = store.add_document(
        "HTTP://WWW.LISHAN.GOV.CN:80/xxgk/t20250120_1.html#top", body, fetched_at="2025-02-01T08:00:00+00:00"
    )
    assert a.new_version and a.new_document
    assert not b.new_version and not b.new_document
    assert (a.document_id, a.version_id, a.sha256) == (b.document_id, b.version_id, b.sha256)
    assert a.sha256 == hashlib.sha256(body).hexdigest()
    counts = store.counts()
    assert (counts["documents"], counts["document_versions"], counts["blobs"], counts["fetches"]) == (
        1,
        1,
        1,
        2,
    )
    doc = store.one("SELECT * FROM documents")
    assert doc["first_seen"] == "2025-01-21T08:00:00+00:00"
    assert doc["last_seen"] == "2025-02-01T08:00:00+00:00"
    v = store.one("SELECT * FROM document_versions")
    assert v["content_type"].startswith("text/html") and v["format"] == "html" and v["size"] == len(body)
    # raw bytes on disk, content-addressed, next to the database
    path = tmp_path / "n.db.files" / a.sha256[:2] / a.sha256[2:4] / a.sha256
    assert path.read_bytes() == body
    assert store.version_body(a.version_id) == body


def test_changed_bytes_make_a_new_version_and_shared_bytes_one_blob(store, tmp_path):
    url = "http://www.lishan.gov.cn/a.html"
    v1 = store.add_document(url, b"first", fetched_at="2025-01-21T00:00:00+00:00")
    v2 = store.add_document(url, b"second", fetched_at="2025-02-21T00:00:00+00:00")
    other = store.add_document("http://mirror.gov.cn/a.html", b"first")
    assert v2.new_version and v2.version_id != v1.version_id and v2.document_id == v1.document_id
    assert other.new_document and other.new_version and other.sha256 == v1.sha256
    assert store.counts()["blobs"] == 2
    files = [p for p in (tmp_path / "n.db.files").rglob("*") if p.is_file()]
    assert len(files) == 2
    assert (
        store.one("SELECT current_version_id FROM documents WHERE id = ?", (v1.document_id,))[
            "current_version_id"
        ]
        == v2.version_id
    )
    # the old bytes come back: that version is current again, no new version
    again = store.add_document(url, b"first", fetched_at="2025-03-21T00:00:00+00:00")
    assert again.version_id == v1.version_id and not again.new_version
    assert (
        store.one("SELECT current_version_id FROM documents WHERE id = ?", (v1.document_id,))[
            "current_version_id"
        ]
        == v1.version_id
    )


def test_removed_and_back(store):
    url = "http://www.lishan.gov.cn/a.html"
    store.add_document(url, b"x", fetched_at="2025-01-01T00:00:00+00:00")
    gone = store.add_document(url, None, status=404, fetched_at="2025-03-01T00:00:00+00:00")
    assert gone.version_id is None
    doc = store.one("SELECT * FROM documents")
    assert doc["removed_at"] == "2025-03-01T00:00:00+00:00" and doc["last_status"] == 404
    store.add_document(url, None, status=503)  # a server error is not a removal
    assert store.one("SELECT removed_at FROM documents")["removed_at"] == "2025-03-01T00:00:00+00:00"
    store.add_document(url, b"x", fetched_at="2025-04-01T00:00:00+00:00")
    assert store.one("SELECT removed_at, last_status FROM documents") == {
        "removed_at": None,
        "last_status": 200,
    }
    assert [r["status"] for r in store.query("SELECT status FROM fetches ORDER BY id")] == [
        200,
        404,
        503,
        200,
    ]


def test_a_failed_transaction_leaves_nothing(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.add_document("http://a.gov.cn/x", b"x")
        raise RuntimeError("crash between document and report")
    counts = store.counts()
    assert counts["documents"] == counts["document_versions"] == counts["blobs"] == 0


def test_in_memory_store_keeps_bytes_inline():
    with Store(":memory:") as s:
        ref = s.add_document("http://a.gov.cn/x", b"\x00bytes")
        assert s.files_dir is None
        assert s.version_body(ref.version_id) == b"\x00bytes"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://WWW.A.gov.cn:80/x?a=1#f", "http://www.a.gov.cn/x?a=1"),
        ("https://a.gov.cn:443", "https://a.gov.cn/"),
        ("http://a.gov.cn:8080/X", "http://a.gov.cn:8080/X"),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_canonical_url_of_a_local_path(tmp_path):
    p = tmp_path / "年报.txt"
    assert canonical_url(str(p)) == "file://" + str(p.resolve())


def test_agency_upsert_keeps_known_fields(store):
    a = store.upsert_agency(
        "鞍山市立山区人民政府",
        level="county",
        region="210304",
        parent="鞍山市人民政府",
        url="http://www.lishan.gov.cn",
    )
    b = store.upsert_agency("鞍山市立山区人民政府")
    assert a == b
    row = store.agency(a)
    assert (row["level"], row["region_code"], row["province"]) == ("county", "210304", "辽宁省")
    assert store.agency(row["parent_id"])["name"] == "鞍山市人民政府"
    site = store.upsert_site("http://www.lishan.gov.cn", agency="鞍山市立山区人民政府", template="trs")
    assert store.upsert_site("http://www.lishan.gov.cn") == site
    assert store.one("SELECT template, agency_id FROM sites") == {"template": "trs", "agency_id": a}


@pytest.mark.parametrize(
    ("region", "agency", "province"),
    [
        ("210304", None, "辽宁省"),
        ("650102000000", None, "新疆维吾尔自治区"),
        (None, "上海市人民政府办公厅", "上海市"),
        (None, "海南藏族自治州人民政府", None),  # in 青海, not 海南
        ("广西", None, "广西壮族自治区"),
        (None, "鞍山市立山区人民政府", None),
    ],
)
def test_province_of(region, agency, province):
    from nianbao.storage.places import province_of

    assert province_of(region, agency) == province


def test_two_connections_write_concurrently(tmp_path):
    """The crawler's writer and the workbench share the file: WAL + busy timeout, no 'locked' errors."""
    import threading

    path = tmp_path / "n.db"
    stores = [Store(path), Store(path)]
    errors: list[Exception] = []

    def work(s: Store, k: int) -> None:
        try:
            for i in range(30):
                s.add_document(f"http://a.gov.cn/{k}/{i}", f"{k}-{i}".encode())
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, k)) for k, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert stores[0].counts()["documents"] == 60
    for s in stores:
        s.close()


def test_fetch_times_are_normalised_and_first_seen_is_the_earliest(store):
    url = "http://a.gov.cn/x"
    store.add_document(url, b"x", fetched_at="2025-02-01 08:00:00")
    store.add_document(url, b"x", fetched_at="2025-01-15T16:00:00+08:00")  # earlier, other zone
    doc = store.one("SELECT first_seen, last_seen FROM documents")
    assert doc == {"first_seen": "2025-01-15T08:00:00+00:00", "last_seen": "2025-02-01T08:00:00+00:00"}
