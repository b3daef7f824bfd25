"""Command-line inputs: named pipes, symlinks out of the folder, oversized files, names with newlines,
and no orphan blob after a failed ingest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.intake import ingest_bytes
from nianbao.storage.store import Store

REPORT = ("<html><head><title>测试县人民政府2023年政府信息公开工作年度报告</title></head>"
          "<body><p>测试县人民政府2023年政府信息公开工作年度报告</p></body></html>")


def _nianbao(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from nianbao.cli import main; main()", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    (d / "ok.html").write_text(REPORT, encoding="utf-8")
    return d


@pytest.mark.parametrize("command", ["ingest", "parse"])
def test_named_pipe_is_refused_not_waited_on(command, folder, tmp_path):
    os.mkfifo(folder / "pipe.html")
    args = [command, str(folder / "pipe.html"), str(folder / "ok.html")]
    if command == "ingest":
        args += ["--db", str(tmp_path / "n.db")]
    done = _nianbao(*args, timeout=60)  # hung forever before
    assert "pipe.html" in done.stderr and "不是普通文件" in done.stderr, done.stderr
    assert done.returncode == 0  # the other file was read


def test_named_pipe_in_a_folder_is_refused(folder, tmp_path):
    os.mkfifo(folder / "pipe.html")
    done = _nianbao("ingest", str(folder), "--db", str(tmp_path / "n.db"))
    assert "pipe.html" in done.stderr and "不是普通文件" in done.stderr, done.stderr
    assert "共 2 个文件：读取入库 1 个，失败 1 个" in done.stdout, done.stdout


def test_symlink_leaving_the_folder_is_refused(folder, tmp_path):
    secret = tmp_path / "secret.html"
    secret.write_text(REPORT.replace("测试县", "秘密县"), encoding="utf-8")
    (folder / "x.html").symlink_to(secret)
    (folder / "inside.html").symlink_to(folder / "ok.html")  # a link within the folder is fine
    db = tmp_path / "n.db"
    done = _nianbao("ingest", str(folder), "--db", str(db))
    assert "x.html" in done.stderr and "指向文件夹之外" in done.stderr, done.stderr
    import sqlite3

    con = sqlite3.connect(db)
    agencies = {a for (a,) in con.execute("SELECT agency FROM reports")}
    con.close()
    assert "秘密县人民政府" not in agencies and "测试县人民政府" in agencies


def test_newline_in_a_file_name_cannot_forge_a_line(folder, tmp_path):
    evil = folder / "a\n✓ forged.html：伪造的一行.html"
    evil.write_text(REPORT, encoding="utf-8")
    done = _nianbao("ingest", str(folder), "--db", str(tmp_path / "n.db"))
    lines = done.stdout.splitlines()
    assert not [ln for ln in lines if ln.startswith("✓ forged")], done.stdout
    assert any("a\\n✓ forged" in ln for ln in lines), done.stdout


def test_oversized_file_refused_before_reading(folder, tmp_path):
    big = folder / "big.pdf"
    with big.open("wb") as fh:  # sparse: 1 GB that takes no disk
        fh.truncate(1 << 30)
    db = tmp_path / "n.db"
    done = _nianbao("ingest", str(big), str(folder / "ok.html"), "--db", str(db), timeout=60)
    assert "big.pdf" in done.stderr and "过大" in done.stderr, done.stderr
    files = [p for p in Path(str(db) + ".files").rglob("*") if p.is_file()]
    assert all(p.stat().st_size < 1 << 20 for p in files)


def test_failed_ingest_leaves_no_orphan_blob(tmp_path):
    import sqlite3


    db = tmp_path / "n.db"
    with Store(db) as store:  # a write that fails after the bytes are on disk (as a full disk would)
        store.conn.execute("CREATE TRIGGER fail BEFORE INSERT ON reports BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        with pytest.raises(sqlite3.IntegrityError):
            ingest_bytes(store, REPORT.encode(), "ok.html")
        assert store.one("SELECT COUNT(*) AS n FROM blobs")["n"] == 0
    blobs = Path(str(db) + ".files")
    assert not [p for p in blobs.rglob("*") if p.is_file()] if blobs.exists() else True


def test_linked_folder_is_not_walked(folder, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.html").write_text(REPORT.replace("测试县", "秘密县"), encoding="utf-8")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    done = _nianbao("ingest", str(folder), "--db", str(tmp_path / "n.db"))
    assert "secret.html" not in done.stdout + done.stderr
    assert "共 1 个文件：读取入库 1 个" in done.stdout, done.stdout
