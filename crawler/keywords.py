"""Every keyword and pattern discovery uses, in one place (trafilatura-style).

Changing what the crawler looks for means editing this module only.
"""

from __future__ import annotations

import re

# Columns that list the reports.
COLUMN_WORDS = (
    "政府信息公开工作年度报告",
    "政府信息公开年度报告",
    "政府信息公开年报",
    "政务公开年报",
    "信息公开年度报告",
    "信息公开年报",
    "年度报告",
    "年报",
)
COLUMN_URL_TOKENS = ("zfxxgknb", "xxgknb", "gknb", "ndbg", "nianbao", "nb", "ndgzbg")

# Ways to the column: the disclosure section, its guide and menus, sub-sites.
PATH_WORDS = (
    "政府信息公开",
    "信息公开",
    "政务公开",
    "法定主动公开内容",
    "法定主动公开",
    "主动公开",
    "信息公开目录",
    "信息公开指南",
    "公开指南",
)
PATH_URL_TOKENS = ("zfxxgk", "xxgk", "zwgk", "gkml", "fdzdgknr", "gkzn", "xxgkml")
SUBSITE_WORDS = ("部门", "乡镇", "街道", "镇街", "部门信息公开", "乡镇信息公开", "街道信息公开")
SUBSITE_URL_TOKENS = ("bm", "bmxxgk", "xz", "xzjd", "jd", "zfbm", "department", "town")
# Names of bodies (as link text on a 部门/乡镇 index): 县财政局, 城关镇, 东城街道办事处 …
BODY_NAME = re.compile(r"^[\u4e00-\u9fff（）()]{2,24}(局|委员会|委|办公室|办|中心|院|镇|乡|街道|街道办事处|管委会|政府)$")

# A report itself.
YEAR = r"(?:19|20)\d{2}"
REPORT_TITLE = re.compile(
    rf"({YEAR})\s*年?度?.{{0,40}}?(政府信息公开|政务公开|信息公开)(?:工作)?(?:年度)?(?:报告|年报)"
)
REPORT_LOOSE = re.compile(rf"({YEAR})\s*年?度?.{{0,30}}?(年度报告|年报)")
# On a report column, a terse entry that is only a year (「2023年度」, 「2023年」, 「2023」).
REPORT_YEAR_ONLY = re.compile(rf"(?:第\s*)?({YEAR})\s*(?:年度?)?(?:报告)?")

# Decoys: things that look like reports but are not.
DECOY_WORDS = (  # never a report, whatever else the title says
    "政府工作报告",
    "工作要点",
    "工作总结",
    "工作计划",
    "通知",
    "编制",
    "报送",
    "通报",
    "函",
    "意见",
    "方案",
    "解读",
    "图解",
    "征求",
    "模板",
    "样本",
    "指南",
    "目录",
    "统计年报",
    "统计年鉴",
)
SOFT_DECOY_WORDS = (  # a report only when the title also says 信息公开
    "公司",
    "企业",
    "有限责任",
    "股份",
    "财务",
    "决算",
    "预算",
    "社会责任",
    "法治政府建设",
)
# Decoy words that are harmless when they are a column name rather than a document title.
NAVIGATION_OK_DECOYS = ("指南", "目录")

# Pagination.
PAGER_WORDS = ("下一页", "下页", "尾页", "末页", "后页", ">", "»", "››", ">>")
PAGER_URL = re.compile(r"(?:index|list|default)_(\d+)\.s?html?$|[?&](?:\w*page\w*|pn|pg|p)=\d+", re.I)
TRS_PAGER = re.compile(
    r"createPageHTML\(\s*['\"]?(\w+)['\"]?\s*,\s*['\"]?(\w+)['\"]?\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
JS_NUMBER_VAR = r"(?:var|let|const)?\s*{name}\s*=\s*['\"]?(\d+)"
# Other pagers seen on portals: var countPage = 5; pageCount:5; totalPage=5.
PAGE_COUNT = re.compile(r"(?:countPage|pageCount|totalPage|totalPages|page_count)\s*[=:]\s*['\"]?(\d+)", re.I)

# Attachments.
ATTACHMENT_EXTS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd", ".jpg", ".jpeg", ".png")
ATTACHMENT_WORDS = ("附件", "下载", "点击下载", "原文下载")

# Script-filled lists: data endpoints in inline scripts.
ENDPOINT_PATTERNS = (
    re.compile(r"""(?:getJSON|fetch|axios\.get|\$\.get|\$\.post|load)\(\s*['"]([^'"\s]+)['"]"""),
    re.compile(r"""url\s*:\s*['"]([^'"\s]+)['"]"""),
    re.compile(r"""['"]([^'"\s]*?/api/[^'"\s]*)['"]"""),
    re.compile(r"""['"]([^'"\s]+?\.json(?:\?[^'"\s]*)?)['"]"""),
    re.compile(r"""open\(\s*['"](?:GET|POST)['"]\s*,\s*['"]([^'"\s]+)['"]""", re.I),
)
# JSON keys that hold a list item's link, title and date.
JSON_URL_KEYS = ("url", "href", "link", "docpuburl", "docurl", "path", "src", "file", "fileurl", "pageurl")
JSON_TITLE_KEYS = ("title", "name", "doctitle", "text", "label", "subject")
JSON_DATE_KEYS = ("date", "pubdate", "publishdate", "docreltime", "pubtime", "time", "created", "publishtime")

# Anti-bot gateway challenge pages.
CHALLENGE_STATUSES = (412, 521)
CHALLENGE_MARKERS = ("document.cookie", "location.reload", "location.href", "window.location", "setTimeout")

NON_HTML_EXTS = ATTACHMENT_EXTS + (
    ".zip", ".rar", ".7z", ".mp4", ".mp3", ".avi", ".gif", ".bmp", ".css", ".js", ".ico", ".svg", ".exe", ".apk",
)
