"""Deadlines as data: publisher kinds, the packaged table, user overrides."""

from __future__ import annotations

import datetime as dt

import pytest

from nianbao.rules.deadlines import (
    DeadlineError,
    days_late,
    deadline_for,
    load_deadlines,
    normalize_province,
    notice_for,
    publisher_kind,
)


@pytest.mark.parametrize(
    "name, level, kind",
    [
        ("鞍山市立山区人民政府", None, "government"),
        ("西宁市城中区人民政府", None, "government"),
        ("广西壮族自治区人民政府", None, "government"),
        ("镇江市人民政府", None, "government"),  # 镇 in a city name is not a township
        ("阿拉善左旗人民政府", None, "government"),
        ("张家川县闫家乡人民政府", None, "township"),
        ("某某镇人民政府", None, "township"),
        ("朝阳区三里屯街道办事处", None, "township"),
        ("偃师区人民政府办公室", None, "department"),
        ("上海市人民政府办公厅", None, "department"),
        ("托里县政务服务中心", None, "department"),
        ("淮安市洪泽区财政局", None, "department"),
        ("上海市科学技术委员会", None, "department"),
        ("江苏省教育厅", None, "department"),
        ("平潭综合实验区管委会", None, None),  # not guessed
        ("", None, None),
        (None, None, None),
        ("偃师区人民政府办公室", "county", "government"),  # the site list's level wins
        ("鞍山市立山区人民政府", "department", "department"),
        ("某某街道", "township", "township"),
    ],
)
def test_publisher_kind(name, level, kind):
    assert publisher_kind(name, level) == kind


@pytest.mark.parametrize(
    "kind, year, expected",
    [
        ("department", 2024, dt.date(2025, 1, 31)),
        ("government", 2024, dt.date(2025, 3, 31)),
        ("township", 2024, dt.date(2025, 3, 31)),
        ("department", 2019, dt.date(2020, 1, 31)),
        ("department", 2018, dt.date(2019, 3, 31)),  # before the 2019 revision: everyone 31 March
        ("government", 2011, dt.date(2012, 3, 31)),
        (None, 2024, dt.date(2025, 3, 31)),  # unknown kind: the latest any kind could have
        ("government", 2007, None),  # no report duty before the 2008 Regulation
        ("government", None, None),
    ],
)
def test_deadline_for(kind, year, expected):
    assert deadline_for(kind, year) == expected


def test_notice_only_for_townships():
    assert notice_for("township", 2024) == dt.date(2025, 1, 31)
    assert notice_for("government", 2024) is None
    assert notice_for("township", 2018) is None


def test_days_late():
    assert days_late(dt.date(2025, 4, 2), dt.date(2025, 3, 31)) == 2
    assert days_late(dt.date(2025, 3, 31), dt.date(2025, 3, 31)) == 0
    assert days_late(dt.date(2025, 3, 1), dt.date(2025, 3, 31)) == -30
    assert days_late(None, dt.date(2025, 3, 31)) is None


@pytest.mark.parametrize("raw, norm", [("湖南省", "湖南"), ("湖南", "湖南"), ("430000", "湖南"),
                                       ("广西壮族自治区", "广西"), ("上海市", "上海"), (None, "*"), ("", "*")])
def test_normalize_province(raw, norm):
    assert normalize_province(raw) == norm


def test_user_csv_overrides_and_adds(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "province,kind,first_year,last_year,deadline,notice\n"
        "湖南省,township,2021,2021,02-20,\n"  # 怀化's local rule for the 2021 reports
        "*,department,2019,,01-28,\n",  # replaces the packaged row with the same key
        encoding="utf-8",
    )
    table = load_deadlines(path)
    assert table.deadline_for("township", 2021, "湖南") == dt.date(2022, 2, 20)
    assert table.notice_for("township", 2021, "430000") is None  # a local rule: no DEADLINE_PASSED
    assert table.deadline_for("township", 2021, "江苏") == dt.date(2022, 3, 31)
    assert table.deadline_for("township", 2022, "湖南") == dt.date(2023, 3, 31)
    assert table.deadline_for("department", 2024) == dt.date(2025, 1, 28)
    assert deadline_for("department", 2024) == dt.date(2025, 1, 31)  # packaged table untouched


def test_user_toml(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[[deadline]]\nprovince = "四川"\nkind = "government"\nfirst_year = 2020\n'
                    'deadline = "03-15"\n', encoding="utf-8")
    table = load_deadlines(path)
    assert table.deadline_for("government", 2024, "四川省") == dt.date(2025, 3, 15)
    assert table.deadline_for("government", 2019, "四川省") == dt.date(2020, 3, 31)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("province,kind,first_year,last_year,deadline\n*,bureau,2019,,01-31\n", "line 2: kind"),
        ("province,kind,first_year,last_year,deadline\n*,township,2019,,13-40\n", "line 2"),
        ("province,kind,first_year,last_year,deadline\n*,township,20x9,,01-31\n", "line 2: year"),
    ],
)
def test_bad_file_names_the_row(tmp_path, text, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeadlineError) as err:
        load_deadlines(path)
    assert "bad.csv" in str(err.value) and fragment in str(err.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(DeadlineError, match="nope.csv"):
        load_deadlines(tmp_path / "nope.csv")
