"""The packaged registry: lookups, hierarchy, municipalities, crawl hints, kinds and attribution."""

from __future__ import annotations

import csv
import time

import pytest

from nianbao.regions import dataio, names
from nianbao.regions.registry import MOBILE_USER_AGENT, Registry, hints_for, registry


@pytest.fixture(scope="module")
def reg() -> Registry:
    return registry()


@pytest.fixture(scope="module")
def code_table() -> list[dict[str, str]]:
    with (dataio.PACKAGE_DATA / "areacodes.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_code_of_the_table_is_a_region_with_the_right_level(reg, code_table):
    assert len(reg) == len(code_table)
    zh = {"省级": "province", "地级": "prefecture", "县级": "county"}
    for row in code_table:
        region = reg.get(row["code"])
        assert region is not None and region.name == row["name"]
        assert region.level == zh[row["level"]], row
        if row["level"] == "县级" and row["prefecture_or_直辖"] != "直辖":
            assert region.prefecture == row["prefecture_or_直辖"]
            assert reg.get(region.parent_code).name == row["prefecture_or_直辖"]


def test_portals_cover_nearly_every_unit(reg):
    counties = [r for r in reg if r.level == "county"]
    with_portal = [r for r in counties if r.start_url]
    assert 2800 <= len(with_portal) <= len(counties)
    assert all(r.start_url.startswith(("http://", "https://")) for r in reg if r.start_url)
    assert reg.get("620123").portal_url == "https://www.lzyuzhong.gov.cn/"


def test_load_is_fast():
    tables = dataio.load_tables()
    start = time.perf_counter()
    Registry.from_tables(tables)
    assert time.perf_counter() - start < 2.0  # ~0.1 s on an idle core


@pytest.mark.parametrize("name, code", [
    ("甘肃省", "620000"), ("甘肃", "620000"), ("兰州市", "620100"), ("兰州", "620100"),
    ("新疆", "650000"), ("新疆维吾尔自治区", "650000"), ("广西", "450000"), ("内蒙古", "150000"),
    ("临夏州", "622900"), ("临夏回族自治州", "622900"), ("甘南州", "623000"), ("积石山", "622927"),
    ("榆中县", "620123"), ("榆中", "620123"), ("榆中县人民政府", "620123"),
    ("甘肃省兰州市榆中县", "620123"), ("兰州市城关区", "620102"), ("北京市东城区", "110101"),
    ("济源示范区", "419001"), ("620123", "620123"), ("620123000000", "620123"),
    ("阿克苏地区行政公署", "652900"),
])
def test_lookup_names_with_and_without_suffixes(reg, name, code):
    assert reg.lookup(name).code == code


def test_ambiguous_names_list_every_candidate_and_within_settles_them(reg):
    assert {r.code for r in reg.find("城关区")} == {"540102", "620102"}
    assert reg.lookup("城关区") is None
    assert reg.lookup("城关区", within="620000").code == "620102"
    assert {r.code for r in reg.find("朝阳区")} == {"110105", "220104"}
    assert {r.code for r in reg.find("甘南")} == {"230225", "623000"}  # 甘南县 (黑龙江), 甘南藏族自治州
    assert reg.lookup("不存在县") is None


def test_short_names_never_shrink_to_one_character():
    assert names.short_name("忠县") == "忠县"
    assert names.short_name("城区") == "城区"
    assert names.short_name("彭水苗族土家族自治县") == "彭水"
    assert names.short_name("博尔塔拉蒙古自治州") == "博尔塔拉"
    assert names.short_name("内蒙古自治区") == "内蒙古"


def test_children_and_ancestors(reg):
    lanzhou = reg.children("620100")
    assert [r.name for r in lanzhou][:2] == ["城关区", "七里河区"]
    assert all(r.parent_code == "620100" and r.level == "county" for r in lanzhou)
    assert [r.code for r in reg.ancestors("620123")] == ["620000", "620100"]
    assert [r.code for r in reg.ancestors("620100")] == ["620000"]
    assert reg.ancestors("620000") == [] and reg.ancestors("999999") == []
    gansu_counties = reg.descendants("620000", level="county")
    assert len(gansu_counties) == sum(1 for r in reg if r.level == "county" and r.code.startswith("62"))


@pytest.mark.parametrize("muni, n", [("110000", 16), ("120000", 16), ("310000", 16), ("500000", 38)])
def test_municipality_districts_hang_directly_off_the_municipality(reg, muni, n):
    kids = reg.children(muni)
    assert len(kids) == n and all(k.level == "county" for k in kids)
    first = kids[0]
    assert first.parent_code == muni and first.prefecture == reg.get(muni).name
    assert [a.code for a in reg.ancestors(first)] == [muni]
    lineage = reg.lineage(first)
    assert lineage.province.code == lineage.prefecture.code == muni and lineage.county == first


def test_legacy_municipal_pseudo_codes_and_direct_counties(reg):
    assert reg.get("110100").code == "110000"
    assert reg.get("500200").code == "500000"
    jiyuan = reg.lineage("419001")
    assert (jiyuan.province.code, jiyuan.prefecture, jiyuan.county.code) == ("410000", None, "419001")
    assert reg.lineage("620100")[:2] == (reg.get("620000"), reg.get("620100"))
    assert reg.lineage("620000") == (reg.get("620000"), None, None)


def test_government_names(reg):
    assert reg.get("620123").agency == "榆中县人民政府"
    assert reg.get("620102").agency == "兰州市城关区人民政府"
    assert reg.get("110101").agency == "北京市东城区人民政府"
    assert reg.get("652900").agency == "阿克苏地区行政公署"
    assert reg.get("520203").agency == "六枝特区人民政府"
    agencies = [r.agency for r in reg]
    assert len(agencies) == len(set(agencies)), "government names must be unique nationally"


@pytest.mark.parametrize("code, expect", [
    ("130500", {"switch_scheme": True, "browser": False, "user_agent": None,
                "url": "http://www.xingtai.gov.cn/", "alternate_url": "https://www.xingtai.gov.cn/"}),
    ("130300", {"user_agent": MOBILE_USER_AGENT, "browser": False, "switch_scheme": False}),
    ("130200", {"browser": True, "user_agent": None, "verified": True}),
    ("620123", {"browser": False, "user_agent": None, "switch_scheme": False, "verified": True}),
    ("500105", {"verified": False, "switch_scheme": True}),
])
def test_crawl_hints_follow_the_access_method(reg, code, expect):
    hints = reg.crawl_hints(code)
    for key, value in expect.items():
        assert hints[key] == value, (code, key)


def test_crawl_hints_by_portal_url_and_unknown(reg):
    assert reg.crawl_hints("http://www.qhd.gov.cn/some/page.html")["user_agent"] == MOBILE_USER_AGENT
    unknown = reg.crawl_hints("http://www.nowhere.example/")
    assert unknown["verified"] is False and unknown["url"] == "http://www.nowhere.example/"
    assert hints_for("direct", "https://a.gov.cn/")["alternate_url"] == "http://a.gov.cn/"


@pytest.mark.parametrize("agency, kind", [
    ("榆中县人民政府", "government"), ("兰州市人民政府", "government"), ("甘肃省人民政府", "government"),
    ("阿克苏地区行政公署", "government"), ("新乡市人民政府", "government"), ("榆中县", "government"),
    ("榆中县教育局", "department"), ("榆中县人民政府办公室", "department"), ("榆中县政府办", "department"),
    ("甘肃省教育厅", "department"), ("兰州新区管理委员会", "department"),
    ("榆中县住房和城乡建设局", "department"), ("榆中县人民政府驻兰州办事处", "department"),
    ("城关镇人民政府", "township"), ("和平镇", "township"), ("马坡乡人民政府", "township"),
    ("东岗街道办事处", "township"), ("兰州市城关区东岗西路街道办事处", "township"),
    ("乌兰苏木人民政府", "township"), ("榆中县城关镇人民政府（本级）", "township"),
])
def test_infer_kind(reg, agency, kind):
    assert reg.infer_kind(agency) == kind


@pytest.mark.parametrize("agency, portal, code", [
    ("榆中县教育局", "620123", "620123"),          # a county's department on its portal
    ("城关镇人民政府", "620123", "620123"),        # its township, named without the county
    ("县人民政府办公室", "榆中县", "620123"),
    ("榆中县教育局", "620100", "620123"),          # found on the prefecture's portal
    ("兰州市城关区教育局", None, "620102"),
    ("城关区人民政府", "620100", "620102"),        # ambiguous name settled by the portal
    ("城关区人民政府", "540100", "540102"),
    ("甘肃省教育厅", "620123", "620000"),          # a provincial body wherever it is found
    ("朝阳区教育委员会", "110000", "110105"),
    ("城区街道办事处", "140302", "140302"),        # 城区 is also a county name: only inside scope
    ("城区街道办事处", "620123", "620123"),
    ("矿区人民政府", "620123", "620123"),
    ("北京市教育委员会", "620123", "110000"),
    ("某某局", None, None),
])
def test_attribute(reg, agency, portal, code):
    assert reg.attribute(agency, portal) == code


def test_uncoded_portals_hang_under_their_parent(reg):
    by_name = {u.name: u for u in reg.uncoded}
    assert by_name["加格达奇区"].parent_code == "232700"
    assert by_name["两江新区"].parent_code == "500000"
    assert by_name["新疆生产建设兵团"].level == "province"
