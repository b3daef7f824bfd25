"""NARRATIVE_MISMATCH: numbers stated in the prose against the table cells they describe.

Only the prose of the sections named by the ``narrative_sections`` setting (default: section 1,
总体情况, where reports summarise their applications) is read. Each sentence is matched against
a few phrasings (收到/受理…申请N件, 上年结转N件, 办结N件, 予以公开N件, 部分公开N件, 不掌握…N件,
因政府信息公开…行政复议N件 / 行政诉讼N件, and 未收到…申请 as 0). Being wrong here is worse than
missing a mismatch, so a claim is dropped when:

* its sentence is about a sub-scope, not the reporting body as a whole: it names a 政府办/办公室
  /办公厅 (in a people's government's report: the office is one unit of the government, see corpus
  h002 where 区政府办 received 17 applications and the whole district 95), a 局/委员会/中心, 各部门,
  各单位, 各乡镇(街道), 所属/下属/直属 units, 本级, or (for totals) 其中 or a channel such as 当面/网上/信函;
* it names another year, or is about 上年/去年, a comparison (同比, 较上年, 增长), or a cumulative
  count (累计, 以来, 截至);
* the phrase is a sum of categories (予以公开及部分公开, 不掌握等原因), or mixes 复议 and 诉讼;
* the table cell is unreadable or absent;
* another claim about the same cell agrees with the table.

收到/受理 N 件 is accepted when N equals either 本年新收 or 本年新收 + 上年结转 (publishers use both).
The litigation claim is compared with the sum of both litigation groups; its ``where`` is the
virtual path ``appeals.litigation.total``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from nianbao.model import Finding, Report
from nianbao.rules import settings
from nianbao.rules.common import finding, fmt, plain, value
from nianbao.rules.content import norm
from nianbao.rules.context import AuditContext
from nianbao.rules.timeliness import report_kind

_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?!\d)|\d+|[零〇一二两三四五六七八九十百千]+)"
_UNIT = r"\s*(?P<unit>件|宗|个|份|条|起|例)"
_UNIT_CHAR = re.compile(r"[件宗个份条起例]")
_GAP = r"[^\d,;。]"


@dataclass(frozen=True)
class Metric:
    """A kind of claim: the pattern that finds it and the cell it describes."""

    name: str
    pattern: re.Pattern
    where: str
    title: str
    window_bans: str = ""  # regex; the text between keyword and number must not match
    before_bans: str = ""  # regex; the 6 characters before the match must not match
    needs: str = r"申请"  # regex the sentence must match
    whole_only: bool = True  # 其中 / channels make it a sub-count
    # the three regexes above, compiled once
    window_re: re.Pattern | None = field(init=False, repr=False, compare=False)
    before_re: re.Pattern | None = field(init=False, repr=False, compare=False)
    needs_re: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "window_re", re.compile(self.window_bans) if self.window_bans else None)
        object.__setattr__(self, "before_re", re.compile(self.before_bans) if self.before_bans else None)
        object.__setattr__(self, "needs_re", re.compile(self.needs))


def _p(text: str) -> re.Pattern:
    return re.compile(text)


METRICS = [
    Metric("new", _p(r"(?P<verb>收到|受理|接收|接到|新收)(?P<win>" + _GAP + r"{0,25}?)" + _NUM + _UNIT),
           "applications.new.total", "一、本年新收政府信息公开申请数量·总计",
           window_bans=r"复议|诉讼|结转|上年|去年|同比|较|增|减|累计|咨询|建议|提案|诉求|投诉|举报|来信|留言|办结",
           needs=r"申请"),
    Metric("carried_in", _p(r"(?:上一?年度?|去年)(?P<win>" + _GAP + r"{0,12}?结转" + _GAP + r"{0,15}?)"
                            + _NUM + _UNIT),
           "applications.carried_in.total", "二、上年结转政府信息公开申请数量·总计",
           window_bans=r"下一?年|明年|转入下", needs=r"申请|结转"),
    Metric("carried_out", _p(r"结转(?:至|到|入)?下一?年度?(?P<win>" + _GAP + r"{0,12}?)" + _NUM + _UNIT),
           "applications.carried_out.total", "四、结转下年度继续办理·总计", needs=r"申请|结转"),
    Metric("total", _p(r"办结(?P<win>" + _GAP + r"{0,10}?)" + _NUM + _UNIT),
           "applications.total.total", "（七）总计·总计",
           window_bans=r"率|上年|结转|诉求|投诉|举报|来信|留言|建议|提案", needs=r"申请"),
    Metric("granted", _p(r"(?:予以公开|同意公开)(?P<win>(?:答复|的|为|了|类)?)\s*" + _NUM + _UNIT),
           "applications.granted.total", "（一）予以公开·总计",
           before_bans=r"及|和|与|、|或|部分", needs=r"申请", whole_only=False),
    Metric("partial", _p(r"部分公开(?P<win>(?:答复|的|为|了|类)?)\s*" + _NUM + _UNIT),
           "applications.partial.total", "（二）部分公开·总计",
           before_bans=r"及|和|与|、|或", needs=r"申请", whole_only=False),
    Metric("not_held", _p(r"不掌握(?P<win>" + _GAP + r"{0,12}?)" + _NUM + _UNIT),
           "applications.unavailable.not_held.total", "（四）无法提供 1.本机关不掌握相关政府信息·总计",
           window_bans=r"等|及|和|、|无法提供|或", needs=r"申请|信息", whole_only=False),
    Metric("review", _p(r"行政复议(?P<win>" + _GAP + r"{0,8}?)" + _NUM + _UNIT),
           "appeals.review.total", "行政复议·总计",
           window_bans=r"诉讼|和|及|、|各|纠|维持|败诉|撤销|确认|驳回|审结|上年|结转",
           needs=r"信息公开|公开申请|依申请"),
    Metric("litigation", _p(r"行政诉讼(?P<win>" + _GAP + r"{0,8}?)" + _NUM + _UNIT),
           "appeals.litigation.total", "行政诉讼（未经复议直接起诉与复议后起诉）·总计",
           window_bans=r"复议|和|及|、|各|纠|维持|败诉|胜诉|撤销|确认|驳回|审结|上年|结转",
           needs=r"信息公开|公开申请|依申请"),
]

_NEGATIVE_NEW = re.compile(r"(?:未|没有)(?:收到|接到|受理)" + _GAP + r"{0,20}?(?:公开)" + _GAP + r"{0,6}?申请")

_QUOTED = re.compile(r"《[^》]*》|“[^”]*”|\"[^\"]*\"|\([^)]*\)")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_PAST = re.compile(r"上一?年|去年|往年|历年")
_TIME_SCOPE = re.compile(r"累计|历年|以来|截至|截止|同比|较上年|较去年|比上年|比去年|增长|下降|减少|增加")
_SUBSCOPE = re.compile(r"本级|各部门|各单位|各乡镇|各街道|各镇|各乡|所属|下属|直属|部门|单位|乡镇|街道")
_SELF = re.compile(
    r"[本我](?:部门|单位|机关|街道|乡|镇|局|委|办|区|县|市|中心)|全(?:区|县|市|镇|乡|街道)"
)
_OTHER_UNIT = re.compile(r"政府办|办公室|办公厅|局|委员会|中心")
_PART = re.compile(r"其中|通过|当面|网上|网络|在线|信函|邮寄|传真|电子邮件|电话|现场")
_SENTENCE = re.compile(r"[^。;!?]+")
_STOP = re.compile(r"[。;!?]")
_DIGIT = re.compile(r"\d")
_DIGIT_OR_APPEAL = re.compile(r"\d|复议|诉讼")
_OFFICE = re.compile(r"办公[室厅]|政府办")
_DIGITS = "零一二三四五六七八九"


def cn_number(text: str) -> int | None:
    """'29', '1,234', '二十九', '两' -> int; None when not a number."""
    if text.replace(",", "").isdigit():
        return int(text.replace(",", ""))
    text = text.replace("〇", "零").replace("两", "二")
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS.index(ch)
        elif ch in "十百千":
            unit = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (current or 1) * unit
            current = 0
        else:
            return None
    return total + current


_HEADING = re.compile(r"^\s*(?:[(][一二三四五六七八九十\d]+[)]|[一二三四五六七八九十]+、|\d+[、.])")


def sentences(text: str) -> list[str]:
    """Sentences of ``text`` (NFKC): split at 。;!? and after heading lines; other line breaks
    (PDF wraps) are joined."""
    out: list[str] = []
    buf: list[str] = []
    for line in norm(text).splitlines():
        line = line.strip()
        if not line:
            continue
        if _HEADING.match(line) and len(line) <= 40 and not _STOP.search(line):
            if buf:
                out.extend(_SENTENCE.findall("".join(buf)))
                buf = []
            out.append(line)
            continue
        buf.append(line)
    if buf:
        out.extend(_SENTENCE.findall("".join(buf)))
    return [s.strip() for s in out if s.strip()]


@dataclass
class Claim:
    metric: Metric
    number: int
    verb: str
    sentence: str
    quote: str


def _prefix_ok(prefix: str, clause: str, metric: Metric, report: Report, office_is_self: bool) -> bool:
    prefix = _QUOTED.sub("", prefix)
    if report.agency:
        prefix = prefix.replace(norm(report.agency), "")
    years = _YEAR.findall(prefix)
    if years and report.year is not None and int(years[-1]) != report.year:
        return False
    if metric.name != "carried_in":
        lead = prefix.split(",", 1)[0] if "," in prefix else ""
        if _PAST.search(clause) or (lead and not _DIGIT.search(lead) and _PAST.search(lead)):
            return False
    if _TIME_SCOPE.search(clause):
        return False
    scoped = _SELF.sub("", prefix)
    if _SUBSCOPE.search(scoped):
        return False
    if not office_is_self and _OTHER_UNIT.search(scoped):
        return False
    return not (metric.whole_only and _PART.search(_QUOTED.sub("", clause)))


def extract_claims(text: str, report: Report, ctx: AuditContext) -> list[Claim]:
    """Every number claim in ``text`` that survives the scope filters."""
    agency = report.agency or ""
    office_is_self = report_kind(report, ctx) == "department" or bool(_OFFICE.search(agency))
    claims: list[Claim] = []
    for sentence in sentences(text):
        # every metric's pattern ends with a unit: a sentence without one has no claim to find
        for metric in METRICS if _UNIT_CHAR.search(sentence) else ():
            if not metric.needs_re.search(sentence):
                continue
            for m in metric.pattern.finditer(sentence):
                if metric.window_re is not None and metric.window_re.search(m.group("win")):
                    continue
                before = sentence[max(0, m.start() - 6):m.start()]
                if metric.before_re is not None and metric.before_re.search(before) and not _DIGIT.search(before):
                    continue  # 予以公开及部分公开N件: one number for a sum of categories
                number = cn_number(m.group("num"))
                if number is None:
                    continue
                clause_start = max(sentence.rfind(",", 0, m.start()), sentence.rfind(";", 0, m.start())) + 1
                clause = sentence[clause_start:m.end()]
                if not _prefix_ok(sentence[:m.start()], clause, metric, report, office_is_self):
                    continue
                verb = m.groupdict().get("verb") or ""
                claims.append(Claim(metric, number, verb, sentence, m.group(0)))
        for m in _NEGATIVE_NEW.finditer(sentence):
            clause_end = min([i for i in (sentence.find(",", m.end()), len(sentence)) if i >= 0])
            clause_start = sentence.rfind(",", 0, m.start()) + 1
            clause = sentence[clause_start:clause_end]
            if _DIGIT_OR_APPEAL.search(clause):
                continue
            if not _prefix_ok(sentence[:m.start()], clause, METRICS[0], report, office_is_self):
                continue
            claims.append(Claim(METRICS[0], 0, "新收", sentence, m.group(0)))
    return claims


def _table_value(report: Report, metric: Metric) -> int | float | None:
    if metric.name == "litigation":
        a = value(report, "appeals", "litigation_direct", "total")
        b = value(report, "appeals", "litigation_after_review", "total")
        return a.number + b.number if a.usable and b.usable else None
    table, row_col = metric.where.split(".", 1)
    row, col = row_col.rsplit(".", 1)
    v = value(report, table, row, col)
    return v.number if v.usable else None


def _accepted(report: Report, claim: Claim, expected: int | float) -> list[int | float]:
    if claim.metric.name == "new" and claim.verb != "新收":
        carried = value(report, "applications", "carried_in", "total")
        if carried.usable and carried.number:
            return [expected, expected + carried.number]
    return [expected]


def _sections(report: Report, ctx: AuditContext) -> str:
    keys = [k.strip() for k in str(settings.get(ctx.settings, "narrative_sections")).split(",") if k.strip()]
    return "\n".join(report.sections[k] for k in keys if k in report.sections)


def narrative_mismatch(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    text = _sections(report, ctx)
    if not text:
        return
    tolerance = settings.get(ctx.settings, "narrative_tolerance")
    by_metric: dict[str, list[Claim]] = {}
    for claim in extract_claims(text, report, ctx):
        by_metric.setdefault(claim.metric.name, []).append(claim)
    for metric in METRICS:
        claims = by_metric.get(metric.name)
        if not claims:
            continue
        expected = _table_value(report, metric)
        if expected is None:
            continue
        wrong = [c for c in claims if all(abs(c.number - a) > tolerance for a in _accepted(report, c, expected))]
        if len(wrong) < len(claims) or not wrong:
            continue  # some claim about this cell agrees with the table
        claim = wrong[0]
        also = _accepted(report, claim, expected)
        extra = f"（含上年结转为{fmt(also[1])}）" if len(also) > 1 else ""
        yield finding(
            "NARRATIVE_MISMATCH", metric.where,
            f"正文称“{claim.quote}”，但表格“{metric.title}”为{fmt(expected)}{extra}",
            expected=plain(expected), actual=claim.number, evidence=claim.sentence[:300],
        )
