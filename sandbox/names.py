"""Names of simulated counties, departments and townships, and their host names."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data"

# (name suffix, code) of county-level departments; code is the sub-site path / pinyin initials
DEPARTMENTS: list[tuple[str, str]] = [
    ("发展和改革局", "fgj"), ("教育局", "jyj"), ("财政局", "czj"), ("民政局", "mzj"),
    ("人力资源和社会保障局", "rsj"), ("自然资源局", "zrzyj"), ("住房和城乡建设局", "zjj"),
    ("交通运输局", "jtysj"), ("农业农村局", "nyncj"), ("水利局", "slj"), ("卫生健康委员会", "wjw"),
    ("市场监督管理局", "scjgj"), ("应急管理局", "yjglj"), ("司法局", "sfj"), ("统计局", "tjj"),
    ("医疗保障局", "ybj"), ("文化和旅游局", "wlj"), ("退役军人事务局", "tyjrswj"), ("审计局", "sjj"),
    ("林业局", "lyj"), ("政务服务中心", "zwfwzx"), ("商务局", "swj"), ("科学技术局", "kjj"),
]
OFFICE = ("人民政府办公室", "zfb")

_T1 = [("城关", "chengguan"), ("新", "xin"), ("东", "dong"), ("西", "xi"), ("南", "nan"), ("北", "bei"),
       ("大", "da"), ("双", "shuang"), ("三", "san"), ("高", "gao"), ("白", "bai"), ("石", "shi"),
       ("黄", "huang"), ("青", "qing"), ("马", "ma"), ("龙", "long"), ("杨", "yang"), ("柳", "liu"),
       ("清", "qing"), ("平", "ping"), ("安", "an"), ("永", "yong"), ("太", "tai"), ("长", "chang"),
       ("金", "jin"), ("红", "hong"), ("桃", "tao"), ("古", "gu")]
_T2 = [("桥", "qiao"), ("集", "ji"), ("庄", "zhuang"), ("店", "dian"), ("坪", "ping"), ("坝", "ba"),
       ("河", "he"), ("山", "shan"), ("湾", "wan"), ("寨", "zhai"), ("岭", "ling"), ("沟", "gou"),
       ("口", "kou"), ("营", "ying"), ("铺", "pu"), ("塘", "tang"), ("溪", "xi"), ("阳", "yang"),
       ("峪", "yu"), ("川", "chuan"), ("林", "lin"), ("泉", "quan")]


@dataclass(frozen=True)
class County:
    """One county-level unit: real name and region code from the national list."""

    adcode: str
    name: str  # 立山区
    full_name: str  # 鞍山市立山区 (unique in the list)
    province: str
    parent: str  # prefecture (or province for directly administered units)
    host: str  # www.xxx.gov.cn

    @property
    def government(self) -> str:
        return f"{self.full_name}人民政府"

    @property
    def parent_government(self) -> str:
        return f"{self.parent}人民政府"

    @property
    def base(self) -> str:
        """The registrable domain (``xxx.gov.cn``) for sub-site subdomains."""
        return self.host[4:] if self.host.startswith("www.") else self.host


@lru_cache(maxsize=1)
def real_counties() -> tuple[County, ...]:
    """The 2,840 county-level units of ``data/counties.csv`` (real names, codes and hosts)."""
    with (DATA / "counties.csv").open(encoding="utf-8") as f:
        return tuple(
            County(r["adcode"], r["name"], r["full_name"], r["province"], r["parent"], r["host"])
            for r in csv.DictReader(f)
        )


def synthetic_county(i: int, taken: set[str]) -> County:
    """A made-up county for networks larger than the real list (deterministic in ``i``)."""
    rng = random.Random(f"synthetic-county-{i}")
    while True:
        (a, pa), (b, pb) = rng.choice(_T1), rng.choice(_T2)
        host = f"www.{pa}{pb}{i}.gov.cn"
        if host not in taken:
            break
    name = f"{a}{b}县"
    return County(f"9{i:05d}"[-6:], name, f"模拟{i}{name}", "模拟省", "模拟市", host)


def townships(county: County, rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    """``n`` townships of a county: (agency name, code, kind label 镇/乡/街道)."""
    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    district = county.name.endswith("区")
    while len(out) < n:
        (a, pa), (b, pb) = rng.choice(_T1), rng.choice(_T2)
        if a + b in seen:
            continue
        seen.add(a + b)
        unit = "街道" if district and rng.random() < 0.7 else rng.choice(["镇", "镇", "乡"])
        if unit == "街道":
            out.append((f"{county.full_name}{a}{b}街道办事处", f"{pa}{pb}", unit))
        else:
            out.append((f"{county.full_name}{a}{b}{unit}人民政府", f"{pa}{pb}", unit))
    return out
