"""Validate a user's site list against the registry (pure: rows in, issues out).

Every issue names its line (the header is line 1) and is phrased in Chinese for the user.
Errors make ``nianbao sites check`` exit 1; warnings do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nianbao.regions import names
from nianbao.regions.registry import Region, Registry, host_of
from nianbao.regions.sitelist import SITE_LEVEL

VALID_LEVELS = ("province", "city", "county", "township", "department")
GOVERNMENT_LEVELS = ("province", "city", "county")
_HOST_OK = re.compile(r"^[\w-]+(\.[\w-]+)+$", re.UNICODE)


@dataclass(frozen=True)
class Issue:
    line: int
    severity: str  # error | warning
    message: str

    def __str__(self) -> str:
        label = "错误" if self.severity == "error" else "警告"
        where = f"第 {self.line} 行" if self.line else "文件"
        return f"{where} [{label}] {self.message}"


def url_problem(url: str) -> str | None:
    """Why a URL cannot start a crawl, in Chinese, or None when it can."""
    if not url:
        return "缺少网址（url）"
    if re.search(r"\s", url):
        return f"网址中含有空白字符：{url!r}"
    m = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://([^/?#]*)", url)
    if not m:
        return f"网址无效：{url}（应以 http:// 或 https:// 开头）"
    if m.group(1).lower() not in ("http", "https"):
        return f"网址协议不支持：{url}（只能是 http 或 https）"
    hostport = m.group(2).rsplit("@", 1)[-1]
    host, _, port = hostport.partition(":")
    if not host or not _HOST_OK.match(host):
        return f"网址中的域名无效：{url}"
    if port and not port.isdigit():
        return f"网址中的端口无效：{url}"
    return None


def url_key(url: str) -> str:
    """Scheme-insensitive identity of a URL (host without www., path without trailing slash)."""
    rest = re.sub(r"^[a-zA-Z]+://", "", url.strip())
    host, _, path = rest.partition("/")
    host = host.lower()
    host = host[4:] if host.startswith("www.") else host
    path = re.sub(r"(index\.(s?html?|jsp|php|aspx?))?$", "", path).rstrip("/")
    return f"{host}/{path}"


def check_sites(header: list[str], rows: list[tuple[int, dict[str, str]]], reg: Registry) -> list[Issue]:
    """All problems of a site list: missing columns, bad URLs, unknown codes or names,
    duplicate agencies, two governments on one portal, an agency name naming another region
    than its code, a level that does not fit the code."""
    issues: list[Issue] = []
    missing = [c for c in ("agency", "url") if c not in header]
    if missing:
        issues.append(Issue(1, "error", f"缺少必需的列：{', '.join(missing)}（表头应为 agency,url,level,region,parent）"))
        return issues
    if not rows:
        issues.append(Issue(1, "error", "文件中没有任何站点"))
        return issues

    seen_agency: dict[str, int] = {}
    seen_url: dict[str, tuple[int, str, bool]] = {}
    agencies = {names.normalise_agency(r.get("agency", "")) for _, r in rows}
    for line, row in rows:
        agency = row.get("agency", "")
        url = row.get("url", "")
        level = row.get("level", "").lower()
        region_ref = row.get("region", "")
        parent = row.get("parent", "")
        key = names.normalise_agency(agency)

        if not agency:
            issues.append(Issue(line, "error", "缺少机构名称（agency）"))
        elif key in seen_agency:
            issues.append(Issue(line, "error", f"机构重复：{agency} 已出现在第 {seen_agency[key]} 行"))
        else:
            seen_agency[key] = line

        problem = url_problem(url)
        if problem:
            issues.append(Issue(line, "error", problem))

        if level and level not in VALID_LEVELS:
            issues.append(Issue(line, "error", f"级别无效：{level}（可用：{'、'.join(VALID_LEVELS)}）"))
        kind = reg.infer_kind(agency) if agency else "department"
        is_government = level in GOVERNMENT_LEVELS if level else kind == "government"

        region = _check_region(line, region_ref, reg, issues)
        if region is not None and agency:
            _check_name_matches(line, agency, kind, region, reg, issues)
            if level in GOVERNMENT_LEVELS and SITE_LEVEL[region.level] != level:
                issues.append(Issue(line, "warning", f"级别 {level} 与代码 {region.code}（{region.name}，"
                                                     f"{SITE_LEVEL[region.level]}）不符"))
        if not problem:
            ukey = url_key(url)
            if ukey in seen_url:
                first_line, first_agency, first_gov = seen_url[ukey]
                if is_government and first_gov:
                    issues.append(Issue(line, "error", f"网址重复：与第 {first_line} 行（{first_agency}）相同，"
                                                       "两个人民政府不应共用同一门户"))
            else:
                seen_url[ukey] = (line, agency, is_government)
            if region is not None and is_government:
                owners = reg.by_host(host_of(url))
                if owners and all(o.code != region.code for o in owners):
                    other = owners[0]
                    issues.append(Issue(line, "warning", f"网址 {url} 是 {other.agency}（{other.code}）的门户，"
                                                         f"不是 {region.agency} 的"))
        if parent and names.normalise_agency(parent) not in agencies and not reg.find(parent):
            issues.append(Issue(line, "warning", f"上级机构 {parent} 不在列表中，也不是已知的人民政府"))
    return issues


def _check_region(line: int, ref: str, reg: Registry, issues: list[Issue]) -> Region | None:
    if not ref:
        return None
    if ref.isdigit():
        if len(ref) not in (6, 9, 12):
            issues.append(Issue(line, "error", f"行政区划代码格式错误：{ref}（应为 6 位数字）"))
            return None
        region = reg.get(ref)
        if region is None:
            issues.append(Issue(line, "error", f"未知的行政区划代码：{ref}（不在现行区划代码表中）"))
        return region
    hits = reg.find(ref)
    if not hits:
        issues.append(Issue(line, "error", f"未知的地区：{ref}"))
        return None
    if len(hits) > 1:
        listed = "、".join(f"{h.full_name}（{h.code}）" for h in hits[:5])
        issues.append(Issue(line, "warning", f"地区名称 {ref} 有歧义：{listed}，请改用 6 位代码"))
        return None
    return hits[0]


def _check_name_matches(line: int, agency: str, kind: str, region: Region, reg: Registry,
                        issues: list[Issue]) -> None:
    chain = reg.regions_in_name(agency, region)
    if not chain:
        return
    named = chain[-1]
    if named.code == region.code:
        return
    related = reg.is_within(named, region) or reg.is_within(region, named)
    msg = f"机构名称 {agency} 指向 {named.full_name}（{named.code}），与代码 {region.code}（{region.full_name}）不符"
    if kind == "government" or not related:
        issues.append(Issue(line, "error", msg))
    else:
        issues.append(Issue(line, "warning", msg + f"，建议代码改为 {named.code}"))
