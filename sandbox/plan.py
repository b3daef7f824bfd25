"""The eager part of a simulated network: who publishes what, where and when.

A :class:`CountyPlan` fixes a portal's CMS template, charset, agencies, columns, every report's
URL, dates and defect, and the decoys, from a per-county seeded RNG.  No report numbers
here (those are generated on demand in :mod:`nianbao.sandbox.network`), so planning thousands of
portals takes seconds.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from nianbao.sandbox.names import DEPARTMENTS, OFFICE, County, townships
from nianbao.sandbox.reports import DEFECTS, NEEDS_2021, report_title

TEMPLATES = ("static", "trs", "jscolumn", "guide", "subsites", "attachments")
CHARSETS = ("utf-8", "gbk", "gbk-undeclared", "gbk-mislabeled", "utf-8-mislabeled")
YEARS = range(2019, 2025)
COLUMN_NAMES = ("政府信息公开年报", "政府信息公开工作年度报告", "信息公开年报", "年度报告")


@dataclass
class ReportPlan:
    """One published (or missing) report and how it appears on the web."""

    agency: str
    kind: str  # government | department | township
    year: int
    layout: str
    defect: str | None
    published: dt.date  # the web date (meta > visible > url > signature)
    published_source: str
    pub_time: str  # HH:MM:SS of the web date
    meta: bool  # <meta name="PubDate"> present
    visible: dt.date | None  # the visible 发布时间 line (None: the page has none)
    url_date: dt.date | None  # date inside a TRS-style URL
    signed: dt.date
    list_date: dt.date
    fmt: str  # html | docx | pdf | html+docx | html+pdf | direct-pdf | direct-docx
    style: str  # official | word | plain (HTML body)
    column: str  # column path (absolute, ends with /)
    host: str
    path: str = ""  # article path (or the attachment path for direct-* formats)
    attachments: list[str] = field(default_factory=list)
    title: str = ""
    transient: bool = False  # first request answers 503
    docid: int = 0
    missing: bool = False  # the agency never published it
    removed: bool = False  # taken down by a mutation

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"

    @property
    def deadline(self) -> dt.date:
        return deadline(self.kind, self.year)

    @property
    def late(self) -> bool:
        return self.published > self.deadline


def deadline(kind: str, year: int) -> dt.date:
    """Statutory deadline used by LATE_PUBLICATION (townships: 31 March, see rules.md)."""
    if kind == "department":
        return dt.date(year + 1, 1, 31)
    return dt.date(year + 1, 3, 31)


@dataclass
class AgencyPlan:
    name: str
    kind: str
    code: str
    column: str  # where its reports are listed (path on ``host``)
    host: str
    home: str  # the agency's own home page (sub-site) or the county portal
    unit: str = ""  # 镇 / 乡 / 街道 for townships


@dataclass
class Column:
    """A list of articles: the annual-report column or another (notices, work reports)."""

    host: str
    path: str  # ends with /
    name: str
    style: str  # static | trs | json
    page_size: int
    chnl: int
    parent: str | None = None  # column this one is a tab of


@dataclass
class DecoyPlan:
    kind: str
    title: str
    host: str
    path: str
    column: str
    date: dt.date
    docid: int = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"


@dataclass
class CountyPlan:
    index: int
    county: County
    template: str
    charset: str
    site_id: str
    clock: str | None  # header clock widget text, or None
    crawl_delay: int | None
    disallow: list[str]
    error_path: str | None  # permanent 500 (non-report page)
    entry: str  # URL given in the sites CSV
    xxgk: str  # 信息公开 page path
    guide: str  # 政府信息公开指南 page path
    main_column: str
    href_style: str  # relative | absolute | full
    agencies: list[AgencyPlan] = field(default_factory=list)
    columns: dict[tuple[str, str], Column] = field(default_factory=dict)  # (host, path) -> column
    reports: list[ReportPlan] = field(default_factory=list)
    decoys: list[DecoyPlan] = field(default_factory=list)
    news: list[tuple[str, str, dt.date]] = field(default_factory=list)  # (title, path, date)
    broken: list[str] = field(default_factory=list)  # paths linked but 404
    family: str | None = None  # list style (sandbox/styles.py) serving the column lists, None = the template's

    @property
    def host(self) -> str:
        return self.county.host

    @property
    def government(self) -> str:
        return self.county.government

    def hosts(self) -> set[str]:
        return {self.host} | {a.host for a in self.agencies}


# ---------------------------------------------------------------------------- planning


_MAIN_COLUMN = {
    "static": "/xxgk/zfxxgknb/",
    "trs": "/zwgk/zfxxgk/zfxxgknb/",
    "jscolumn": "/zfxxgk/ndbg/",
    "guide": "/zfxxgk/fdzdgknr/ndbg/",
    "subsites": "/zwgk/xxgknb/",
    "attachments": "/xxgk/xxgknb/",
}
_XXGK = {"static": "/xxgk/", "trs": "/zwgk/", "jscolumn": "/zfxxgk/", "guide": "/zfxxgk/",
         "subsites": "/zwgk/", "attachments": "/xxgk/"}


def plan_county(seed: int, index: int, county: County, forced: dict | None = None) -> CountyPlan:
    """Plan one portal (deterministic in ``seed`` and the county's host)."""
    forced = forced or {}
    rng = random.Random(f"{seed}/plan/{county.host}")
    template = forced.get("template") or rng.choice(TEMPLATES)
    charset = forced.get("charset") or rng.choices(CHARSETS, [70, 14, 6, 5, 5])[0]
    xxgk = _XXGK[template]
    weekday = "一二三四五六日"
    clock_day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
    clock = (f"今天是:{clock_day.year}年{clock_day.month:02d}月{clock_day.day:02d}日 星期{weekday[clock_day.weekday()]}"
             if template in ("static", "guide", "attachments") and rng.random() < 0.7 else None)
    p = CountyPlan(
        index=index,
        county=county,
        template=template,
        charset=charset,
        site_id=f"{county.adcode[:4]}{rng.randint(0, 999999):06d}",
        clock=clock,
        crawl_delay=1 if forced.get("crawl_delay") or rng.random() < 0.06 else None,
        disallow=["/search/", "/admin/"] + (["/hdjl/"] if forced.get("disallow_hdjl") else []),
        error_path="/hdjl/index.html" if forced.get("error500") or rng.random() < 0.15 else None,
        entry="",
        xxgk=xxgk,
        guide=f"{xxgk}zfxxgkzn/index.html",
        main_column=_MAIN_COLUMN[template],
        href_style=rng.choice(["relative", "absolute", "full"]),
    )
    p.entry = f"http://{county.host}/" if rng.random() < 0.9 else f"http://{county.host}{xxgk}index.html"
    _plan_agencies(p, rng)
    _plan_reports(p, rng, forced)
    _plan_decoys(p, rng)
    _plan_news(p, rng)
    _assign_ids(p, rng)
    return p


def _list_style(template: str, rng: random.Random) -> str:
    return {"static": "static", "trs": "trs", "jscolumn": "json", "guide": "static", "subsites": "trs",
            "attachments": rng.choice(["static", "trs"])}[template]


def _plan_agencies(p: CountyPlan, rng: random.Random) -> None:
    c, t = p.county, p.template
    style = _list_style(t, rng)
    main = Column(c.host, p.main_column, rng.choice(COLUMN_NAMES), style, rng.choice([10, 12, 15]),
                  rng.randint(1000, 9999))
    p.columns[(c.host, main.path)] = main
    tabs = t == "static" and rng.random() < 0.6
    tab_cols = {}
    if tabs:
        for key, name in (("zfnb", "县政府年报"), ("bmnb", "部门年报"), ("xznb", "乡镇(街道)年报")):
            col = Column(c.host, f"{main.path}{key}/", name, style, main.page_size, rng.randint(1000, 9999),
                         parent=main.path)
            p.columns[(c.host, col.path)] = col
            tab_cols[key] = col.path

    def add(name: str, kind: str, code: str, unit: str = "") -> None:
        host, home, column = c.host, f"http://{c.host}/", tab_cols.get(
            {"government": "zfnb", "department": "bmnb", "township": "xznb"}[kind], main.path)
        if t == "subsites" and kind == "department" and code != OFFICE[1]:
            home = f"http://{c.host}/zwgk/bm/{code}/"
            column = f"/zwgk/bm/{code}/xxgknb/"
            p.columns[(host, column)] = Column(host, column, "信息公开年报", rng.choice(["static", "trs"]), 10,
                                               rng.randint(1000, 9999))
        elif t == "subsites" and kind == "township":
            host = f"{code}.{c.base}"
            home = f"http://{host}/"
            column = "/xxgk/ndbg/"
            p.columns[(host, column)] = Column(host, column, "政府信息公开年报", "static", 10, rng.randint(1000, 9999))
        p.agencies.append(AgencyPlan(name, kind, code, column, host, home, unit))

    add(c.government, "government", "xzf")
    add(f"{c.full_name}{OFFICE[0]}", "department", OFFICE[1])
    for name, code in rng.sample(DEPARTMENTS, rng.randint(2, 4)):
        add(f"{c.full_name}{name}", "department", code)
    for name, code, unit in townships(c, rng, rng.randint(1, 3)):
        add(name, "township", code, unit)


def _web_dates(rng: random.Random, kind: str, year: int, late: bool) -> dt.date:
    if late:
        return deadline(kind, year) + dt.timedelta(days=rng.randint(1, 120))
    start = {"department": dt.date(year + 1, 1, 8), "government": dt.date(year + 1, 1, 15),
             "township": dt.date(year + 1, 1, 10)}[kind]
    span = (deadline(kind, year) - start).days
    return start + dt.timedelta(days=rng.randint(0, span))


def _plan_reports(p: CountyPlan, rng: random.Random, forced: dict) -> None:
    force_defects = list(forced.get("defects", []))
    force_late = forced.get("late", False)
    for a in p.agencies:
        first = {"government": 2019, "department": rng.choice([2019, 2019, 2020, 2021]),
                 "township": rng.choice([2019, 2020, 2021, 2022])}[a.kind]
        for year in range(first, 2025):
            late = rng.random() < 0.12
            if force_late and a.kind == "department" and year == 2023:
                late, force_late = True, False
            published = _web_dates(rng, a.kind, year, late)
            signed = max(dt.date(year + 1, 1, 3), published - dt.timedelta(days=rng.randint(0, 12)))
            defect = None
            applicable = [d for d in DEFECTS if year >= 2021 or d not in NEEDS_2021]
            if force_defects and year >= 2021:
                defect = force_defects.pop(0)
            elif rng.random() < 0.12:
                defect = rng.choice(applicable)
            layout = "2019" if year <= 2020 or defect == "OUTDATED_LAYOUT" else "2021"
            fmt = _pick_fmt(p.template, rng)
            trs_url = p.template in ("trs", "subsites", "attachments") and not fmt.startswith("direct")
            meta = rng.random() < 0.75
            visible_p = 0.9 if not meta else 0.85
            visible: dt.date | None = published if rng.random() < visible_p else None
            if meta and visible and rng.random() < 0.1:
                visible = published + dt.timedelta(days=rng.randint(1, 4))  # an 更新时间 that disagrees
            url_date = None
            if trs_url:
                url_date = published - dt.timedelta(days=rng.randint(0, 3)) if rng.random() < 0.8 else (
                    published + dt.timedelta(days=rng.randint(1, 3)))
            if fmt.startswith("direct"):
                meta, visible = False, None
            # the web date, in the order of sites.md (a bare attachment has only its list date)
            if fmt.startswith("direct"):
                web, source = published, "list"
            elif meta:
                web, source = published, "meta"
            elif visible:
                web, source = visible, "visible"
            elif url_date:
                web, source = url_date, "url"
            else:
                web, source = signed, "signature"
            r = ReportPlan(
                agency=a.name, kind=a.kind, year=year, layout=layout, defect=defect, published=web,
                published_source=source, pub_time=f"{rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
                meta=meta, visible=visible, url_date=url_date, signed=signed,
                list_date=published if rng.random() < 0.9 or fmt.startswith("direct") else (visible or published),
                fmt=fmt, style=rng.choices(["official", "word", "plain"], [60, 30, 10])[0],
                column=a.column, host=a.host, title=report_title(a.name, year, rng),
                transient=rng.random() < 0.04,
                missing=rng.random() < 0.06 and defect is None,
            )
            p.reports.append(r)


def _pick_fmt(template: str, rng: random.Random) -> str:
    if template == "attachments":
        return rng.choices(["docx", "pdf", "html+docx", "html+pdf", "direct-pdf", "direct-docx", "html"],
                           [25, 15, 20, 10, 10, 10, 10])[0]
    return rng.choices(["html", "html+docx", "docx"], [88, 8, 4])[0]


def _plan_decoys(p: CountyPlan, rng: random.Random) -> None:
    c = p.county
    y = rng.choice([2022, 2023, 2024])
    main = p.main_column
    candidates = [
        ("notice", f"关于做好{y}年度政府信息公开工作年度报告编制发布工作的通知", main, dt.date(y, 12, rng.randint(1, 28))),
        ("workplan", f"{c.full_name}{y}年政务公开工作要点", rng.choice([main, f"{p.xxgk}tzgg/"]),
         dt.date(y, rng.randint(3, 5), rng.randint(1, 28))),
        ("summary", f"{c.government}{y}年工作总结", f"{p.xxgk}tzgg/", dt.date(y + 1, 1, rng.randint(5, 28))),
        ("govreport", f"{y + 1}年{c.full_name}政府工作报告", f"{p.xxgk}zfgzbg/", dt.date(y + 1, 2, rng.randint(1, 28))),
        ("company", f"{c.name}城市建设投资有限公司{y}年度报告", f"{p.xxgk}gqxx/", dt.date(y + 1, 4, rng.randint(1, 28))),
    ]
    for kind, title, column, date in candidates:
        if kind != "notice" and rng.random() < 0.25:
            continue
        key = (c.host, column)
        if key not in p.columns:
            name = {"tzgg/": "通知公告", "zfgzbg/": "政府工作报告", "gqxx/": "国有企业信息"}[column[len(p.xxgk):]]
            p.columns[key] = Column(c.host, column, name, "static", 15, rng.randint(1000, 9999))
        p.decoys.append(DecoyPlan(kind, title, c.host, "", column, date))
    p.decoys.append(DecoyPlan("guide", "政府信息公开指南", c.host, p.guide, "", dt.date(2023, 6, 1)))


def _plan_news(p: CountyPlan, rng: random.Random) -> None:
    topics = ["召开全县安全生产工作会议", "开展防汛应急演练", "举办政务公开日活动", "推进乡村振兴重点项目建设",
              "召开政府常务会议", "开展营商环境专项督查", "举行重点项目集中开工仪式", "召开民生实事推进会"]
    for i, topic in enumerate(rng.sample(topics, 5)):
        d = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
        p.news.append((f"{p.county.name}{topic}", f"/xwzx/{d:%Y%m}/t{d:%Y%m%d}_{rng.randint(10000, 99999)}{i}.html", d))
    p.broken.append(f"/xwzx/2019/old_{rng.randint(1000, 9999)}.html")


def _assign_ids(p: CountyPlan, rng: random.Random) -> None:
    """Doc ids grow with time; build every article and attachment path."""
    items: list[tuple[dt.date, object]] = [(r.url_date or r.list_date, r) for r in p.reports]
    items += [(d.date, d) for d in p.decoys if not d.path]
    items.sort(key=lambda x: (x[0], getattr(x[1], "title", "")))
    docid = rng.randint(10000, 80000)
    for date, item in items:
        docid += rng.randint(3, 400)
        if isinstance(item, DecoyPlan):
            item.docid = docid
            item.path = f"{item.column}{date:%Y%m}/t{date:%Y%m%d}_{docid}.html"
            continue
        r: ReportPlan = item  # type: ignore[assignment]
        r.docid = docid
        col = r.column
        if r.url_date:
            r.path = f"{col}{r.url_date:%Y%m}/t{r.url_date:%Y%m%d}_{docid}.html"
        elif p.template == "jscolumn":
            r.path = f"{col}art/{r.year + 1}/{docid}.html"
        else:
            r.path = f"{col}content_{docid}.html"
        stamp = f"{r.published:%Y%m%d}{docid:06d}"
        base = r.path.rsplit("/", 1)[0] + "/"
        if r.fmt in ("docx", "html+docx", "direct-docx"):
            r.attachments = [f"/uploadfiles/{r.published:%Y/%m}/{stamp}.docx"]
        elif r.fmt in ("pdf", "html+pdf", "direct-pdf"):
            r.attachments = [f"{base}P0{stamp}.pdf"]
        if r.fmt.startswith("direct"):
            r.path = r.attachments[0]
