"""Pure name handling for administrative divisions and the agencies that govern them.

Nothing here knows the registry: short names, the government's name for a division,
and which kind of publisher an agency name denotes.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

# The 55 minority nationalities as they appear in autonomous-area names; multi-character
# ones also appear without the trailing 族 (博尔塔拉蒙古自治州, 伊犁哈萨克自治州).
ETHNIC_GROUPS: tuple[str, ...] = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白",
    "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡",
    "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬",
    "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安",
    "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺", "各",
)
_ETHNIC_TOKENS = sorted(
    {g + "族" for g in ETHNIC_GROUPS} | {g for g in ETHNIC_GROUPS if len(g) > 1 and g != "各"},
    key=len,
    reverse=True,
)

# Suffixes stripped to get a short name, longest first. Autonomous areas lose the
# nationality names too (临夏回族自治州 -> 临夏).
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "特区",
             "省", "市", "盟", "县", "区", "旗")
_AUTONOMOUS = ("自治区", "自治州", "自治县", "自治旗")

MIN_SHORT = 2  # never shorten to a single character (忠县 stays 忠县)

GOVERNMENT_SUFFIXES = ("人民政府", "行政公署", "政府")
# Publisher kind from a name (the one implementation: ``nianbao.rules.deadlines.publisher_kind`` calls it).
_OFFICE_RE = re.compile(r"(人民政府|政府)(办公室|办公厅)$|政府办$")
_TOWNSHIP_RE = re.compile(r"(街道办事处|街道办|街道工委|街道|苏木)$|(镇|乡|苏木)(人民政府|政府)?$")
_GOVERNMENT_RE = re.compile(r"(人民政府|行政公署|政府)$")
_UNCERTAIN_RE = re.compile(r"(管委会|管理委员会|党工委)$")
_DEPARTMENT_RE = re.compile(r"(局|委员会|委|办公室|办公厅|办|中心|院|所|厅|署|部|处|站|队|馆)$")
_TITLE_TAIL_RE = re.compile(r"(?:19|20)\d{2}年.*$")
_PARTY_PREFIX_RE = re.compile(r"^(中共|中国共产党)")
_BRACKETS_RE = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")


def clean(text: str) -> str:
    """NFKC-normalise and drop whitespace (names copied from PDFs carry both)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


@functools.lru_cache(maxsize=8192)
def short_name(name: str) -> str:
    """The common short form of a division name: 甘肃省 -> 甘肃, 临夏回族自治州 -> 临夏,
    新疆维吾尔自治区 -> 新疆, 兰州市 -> 兰州; names that would shrink below two characters
    are returned unchanged (忠县, 城区)."""
    name = clean(name)
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= MIN_SHORT:
            base = name[: -len(suffix)]
            if suffix in _AUTONOMOUS:
                base = _strip_ethnic(base)
            return base
    return name


def _strip_ethnic(base: str) -> str:
    changed = True
    while changed:
        changed = False
        for token in _ETHNIC_TOKENS:
            if base.endswith(token) and len(base) - len(token) >= MIN_SHORT:
                base = base[: -len(token)]
                changed = True
                break
    return base


def is_district(name: str) -> bool:
    """A city district (市辖区), whose government's name carries the city's name.

    特区 (六枝特区), 林区 (神农架林区) and 地区 are not districts in this sense."""
    return name.endswith("区") and not name.endswith(("特区", "林区", "地区", "自治区", "行政区"))


def government_name(name: str, level: str, parent_name: str | None) -> str:
    """The formal name of the people's government of a division.

    Provinces, prefectures, counties: ``<name>人民政府`` (甘肃省人民政府, 兰州市人民政府,
    榆中县人民政府); prefectures that are 地区 or 盟 are governed by a 行政公署
    (阿克苏地区行政公署); a city district carries its city's name (兰州市城关区人民政府,
    北京市东城区人民政府), which is also how their reports are titled and keeps the
    name unique nationally (there are four 鼓楼区).
    """
    if level == "prefecture" and name.endswith(("地区", "盟")):
        return name + "行政公署"
    if level == "county" and parent_name and is_district(name):
        return parent_name + name + "人民政府"
    return name + "人民政府"


def strip_government(agency: str) -> str:
    """``兰州市城关区人民政府`` -> ``兰州市城关区``; other names unchanged."""
    agency = clean(agency)
    for suffix in GOVERNMENT_SUFFIXES:
        if agency.endswith(suffix) and len(agency) > len(suffix):
            return agency[: -len(suffix)]
    return agency


def normalise_agency(agency: str) -> str:
    """Cleaned agency name without party prefix or bracketed remarks."""
    text = _BRACKETS_RE.sub("", clean(agency))
    return _PARTY_PREFIX_RE.sub("", text)


def name_kind(agency_name: str | None, is_region_name: Callable[[str], bool] | None = None) -> str | None:
    """The publisher kind a name denotes, or None when the name does not tell.

    ``'department'`` for a government's office (XX县人民政府办公室, 政府办) and for bodies named
    局/委/办/中心/厅/...; ``'township'`` for 镇/乡/苏木 governments and 街道办事处; ``'government'``
    for a people's government or 行政公署; None for 管委会/党工委 (not guessed) and unknown
    endings. A title pasted as the name (XX县财政局2024年…) is cut at the year; brackets and a
    party prefix are ignored. ``is_region_name`` lets a bare division name (榆中县) count as
    its government.
    """
    name = _TITLE_TAIL_RE.sub("", normalise_agency(agency_name or ""))
    if not name:
        return None
    if is_region_name is not None and is_region_name(name):
        return "government"
    if _OFFICE_RE.search(name):
        return "department"
    if _TOWNSHIP_RE.search(name):
        return "township"
    if _GOVERNMENT_RE.search(name):
        return "government"
    if _UNCERTAIN_RE.search(name):
        return None
    if _DEPARTMENT_RE.search(name):
        return "department"
    return None


def infer_kind(agency_name: str, is_region_name: Callable[[str], bool] | None = None) -> str:
    """Which kind of publisher an agency name denotes: ``'government'`` (a people's
    government of a province, prefecture or county, or a 行政公署), ``'township'`` (a 镇/乡/
    苏木 government or a 街道办事处) or ``'department'`` (everything else: 局, 委员会, 办公室,
    管委会 ...). ``XX县人民政府办公室`` is a department. ``is_region_name`` lets a bare
    division name (``榆中县``) count as its government. See :func:`name_kind`, which this
    only completes (a name that does not tell is a department).
    """
    return name_kind(agency_name, is_region_name) or "department"
