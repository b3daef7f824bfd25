"""Chinese wording for what the parsers and rules store in English or as codes (pure).

The parsers write their reading notes in English (they are logs for developers) and some
findings carry a list of cell keys as their ``actual`` value; officers see both in Chinese.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from nianbao import layouts

_SECTION = {"2": "第二部分（主动公开）", "3": "第三部分（依申请公开）", "4": "第四部分（复议诉讼）"}
_WHY = {
    "enterprise annual report": "企业年度报告",
    "blank template: no values filled in": "空白模板，未填写数据",
    "no sign of an annual report on government information disclosure": "未见政府信息公开工作年度报告的特征",
}


def _pages(text: str) -> str:
    return "、".join(p.strip() for p in text.split(",") if p.strip())


_NOTES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"page (\d+): unreadable \((\w+)\)"), lambda m: f"第 {m[1]} 页无法读取（{m[2]}）"),
    (re.compile(r"OCR used for page\(s\) ([\d, ]+)"), lambda m: f"第 {_pages(m[1])} 页为扫描图像，已用文字识别（OCR）读取"),
    (re.compile(r"no text layer on page\(s\) ([\d, ]+)"), lambda m: f"第 {_pages(m[1])} 页没有文字层（扫描件），未能读取"),
    (re.compile(r"HTML could not be parsed"), lambda m: "网页无法解析"),
    (re.compile(r"no data table in the HTML"), lambda m: "网页中没有数据表格"),
    (re.compile(r"section 3 columns are printed in another order; mapped by their header labels"),
     lambda m: "第三部分表格的列顺序与标准格式不同，已按表头名称对应"),
    (re.compile(r"section (\d) cells were glued together in the source; split by the (?:table identities|group totals)"),
     lambda m: f"{_SECTION.get(m[1], '表格')}的数字在原文中粘连在一起，已按表内勾稽关系拆分"),
    (re.compile(r"section (\d) cells were glued together in the source; ambiguous splits left unread"),
     lambda m: f"{_SECTION.get(m[1], '表格')}的数字在原文中粘连在一起，无法唯一拆分的单元格未读取"),
    (re.compile(r"section (\d): found (\d+) values where (\d+) were expected; table not mapped"),
     lambda m: f"{_SECTION.get(m[1], '表格')}读到 {m[2]} 个数值，应为 {m[3]} 个，表格未读取"),
    (re.compile(r"decoded as ([\w.-]+)"), lambda m: f"按 {m[1].upper()} 编码读取"),
    (re.compile(r"converted from (\w+) to (\w+) by LibreOffice"),
     lambda m: f"已用 LibreOffice 将 {m[1].upper()} 文件转换为 {m[2].upper()} 后读取"),
    (re.compile(r"publication date taken from the article page that links the attachment"),
     lambda m: "发布日期取自链接该附件的文章页"),
    (re.compile(r"publication date is the list date: the file was linked directly from the list"),
     lambda m: "文件直接链接在栏目列表中，发布日期取列表所示日期"),
    (re.compile(r"not an annual report: (.+)"), lambda m: f"判定不是年度报告：{_WHY.get(m[1], m[1])}"),
    (re.compile(r"not audited: .+"), lambda m: "未进行规则核查（规则模块缺失）"),
    (re.compile(r"audit failed: (.+)", re.S), lambda m: f"规则核查出错，技术信息：{m[1]}"),
]

_HAS_CJK = re.compile(r"[\u4e00-\u9fff]")


def note_text(note: Any) -> str:
    """A stored reading note in Chinese; an unknown English note is labelled as technical detail."""
    text = str(note or "").strip()
    for pattern, render in _NOTES:
        m = pattern.fullmatch(text)
        if m:
            return render(m)
    if text and not _HAS_CJK.search(text):
        return f"技术说明：{text}"
    return text


def _key_label(key: str, table: str | None, layout: str) -> str:
    parts = key.split(".")
    if parts[0] in ("applications", "appeals", "disclosure"):
        table, parts = parts[0], parts[1:]
    if table not in ("applications", "appeals", "disclosure") or not parts:
        return key
    if len(parts) == 1:  # a whole row
        return layouts.cell_label(table, parts[0], "", layout).rstrip("·")
    return layouts.cell_label(table, ".".join(parts[:-1]), parts[-1], layout)


def value_text(value: Any, location: str | None = None, layout: str | None = None) -> str:
    """A finding's expected/actual value for people: numbers as printed, cell keys as their labels.

    ``value`` is the stored JSON text (or the decoded value); ``location`` names the table a bare
    row key belongs to (MISSING_TABLE stores ``["normative_documents"]`` under ``disclosure``).
    """
    if value is None:
        return ""
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    table = (location or "").split(".")[0] or None
    layout = layout or "2021"
    if isinstance(parsed, list):
        return "、".join(_key_label(str(v), table, layout) if isinstance(v, str) else value_text(v) for v in parsed)
    if isinstance(parsed, dict):
        return "；".join(f"{_key_label(str(k), table, layout)}：{value_text(v)}" for k, v in parsed.items())
    if isinstance(parsed, float) and parsed.is_integer():
        return str(int(parsed))
    if isinstance(parsed, bool):
        return "是" if parsed else "否"
    return str(parsed)
