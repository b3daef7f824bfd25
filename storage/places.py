"""Province of a region code or name (pure data; the ``regions`` package knows more).

The store needs the province only to pick a deadline (``nianbao.rules.deadlines.deadline_for``).
"""

from __future__ import annotations

import re

PROVINCES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}

_SHORT = {
    name: re.sub(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$", "", name)
    for name in PROVINCES.values()
}


def is_region_code(region: str | None) -> bool:
    return bool(region) and bool(re.fullmatch(r"\d{6}(\d{6})?", region.strip()))


def province_of(region: str | None = None, agency: str | None = None) -> str | None:
    """Full province name from a 6/12-digit division code, else from a name's leading words."""
    if region and is_region_code(region):
        return PROVINCES.get(region.strip()[:2])
    for text in (region, agency):
        if not text:
            continue
        for full, short in _SHORT.items():
            # full names only from agency names: 海南藏族自治州 is in 青海, 海南区 in 内蒙古
            if text.startswith(full) or (text is region and text == short):
                return full
    return None
