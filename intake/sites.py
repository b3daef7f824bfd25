"""The site list (``sites.csv``, see ``docs/domain/sites.md``) as plain objects (pure)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

RENDER_POLICIES = ("auto", "always", "never")


class SiteListError(ValueError):
    """The site list cannot be read; the message names the file and row."""


@dataclass(frozen=True)
class Site:
    agency: str
    url: str
    level: str | None = None
    region: str | None = None
    parent: str | None = None
    render: str = "auto"

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()


def parse_sites(text: str, source: str = "<sites>") -> tuple[list[Site], list[str]]:
    """Rows of a site list; returns (sites, problems). Rows without agency or URL are skipped with a problem."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {f.strip().lower() for f in (reader.fieldnames or [])}
    if not {"agency", "url"} <= fields:
        raise SiteListError(f"{source}: 缺少必需的列 agency 和 url（现有列：{', '.join(sorted(fields)) or '无'}）")
    sites: list[Site] = []
    problems: list[str] = []
    for i, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        agency, url = row.get("agency", ""), row.get("url", "")
        if not agency or not url:
            problems.append(f"{source} 第{i}行：缺少 agency 或 url，已跳过")
            continue
        if "://" not in url:
            url = "http://" + url
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            problems.append(f"{source} 第{i}行：网址无效 {url!r}，已跳过")
            continue
        render = (row.get("render") or "auto").lower()
        if render not in RENDER_POLICIES:
            problems.append(f"{source} 第{i}行：render={render!r} 无效，按 auto 处理")
            render = "auto"
        sites.append(
            Site(
                agency=agency,
                url=url,
                level=row.get("level") or None,
                region=row.get("region") or None,
                parent=row.get("parent") or None,
                render=render,
            )
        )
    return sites, problems


def load_sites(path: str | Path) -> tuple[list[Site], list[str]]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteListError(f"{p}: 无法读取站点列表（{exc}）") from exc
    return parse_sites(text, str(p))


@dataclass(frozen=True)
class Portal:
    """One crawl unit: a start URL and every listed agency whose URL lives on that portal."""

    url: str
    sites: tuple[Site, ...]

    @property
    def render(self) -> str:
        policies = {s.render for s in self.sites}
        for p in ("always", "never"):
            if p in policies:
                return p
        return "auto"


def group_portals(sites: list[Site]) -> list[Portal]:
    """Group agencies by start URL (several agencies may share a county portal)."""
    by_url: dict[str, list[Site]] = {}
    for s in sites:
        by_url.setdefault(s.url.rstrip("/") + "/" if urlsplit(s.url).path in ("", "/") else s.url, []).append(s)
    return [Portal(u, tuple(ss)) for u, ss in by_url.items()]
