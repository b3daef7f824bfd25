"""Request plumbing shared by the views: templates, login/role/CSRF guard, filters, links."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nianbao import labels
from nianbao.storage import rectify
from nianbao.storage import users as user_store
from nianbao.storage.views import HEALTH_LABELS
from nianbao.workbench import wording
from nianbao.workbench.overview import Filters
from nianbao.workbench.scope import RegionScope, scope_of
from nianbao.workbench.sessions import csrf_ok, csrf_token, session_user

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

# The app's own pages: no inline scripts or styles, nothing from other origins.
APP_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Stored (untrusted) documents shown in the sandboxed iframe.
DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"

Handler = Callable[[Request], Awaitable[Response]]


class SecurityHeaders:
    """Add CSP, nosniff, frame and referrer headers to every response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = APP_CSP
                if "x-frame-options" not in headers:
                    headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                # nothing leaves for other sites; same-origin requests keep Referer and, above
                # all, a real Origin on POSTs (under no-referrer browsers send "Origin: null")
                headers["Referrer-Policy"] = "same-origin"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ---------------------------------------------------------------- sessions, users, CSRF


def current_user(request: Request) -> dict[str, Any] | None:
    """The user of the request's live server-side session (see :mod:`nianbao.workbench.sessions`)."""
    return session_user(request)


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session.setdefault("flash", []).append([kind, message])


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go back to (never another host: no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def error_page(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", {"status": status, "message": message}, status=status)


ROLE_MESSAGES = {"reviewer": "您的账号为只读账号，不能修改审核状态。", "admin": "只有管理员可以管理账户。"}


def request_scope(request: Request) -> RegionScope:
    """The region scope of the request's account (see :mod:`nianbao.workbench.scope`), made once
    per request (its agency ids are worked out at most once)."""
    scope = getattr(request.state, "region_scope", None)
    if scope is None:
        scope = request.state.region_scope = scope_of(getattr(request.state, "user", None) or current_user(request))
    return scope


def request_filters(request: Request, params: Any = None) -> Filters:
    """The officer's filters (query parameters, or ``params``) kept inside the account's scope."""
    return request_scope(request).clamp(filters_from(request.query_params if params is None else params))


def page(role: str | None = None) -> Callable[[Handler], Handler]:
    """Guard a view: login required; on POST a valid CSRF token; ``role`` required to change data."""

    def deco(func: Handler) -> Handler:
        @functools.wraps(func)
        async def wrapper(request: Request) -> Response:
            user = current_user(request)
            if user is None:
                if request.method != "GET":
                    return error_page(request, 401, "请先登录。")
                return RedirectResponse("/login?" + urlencode({"next": request.url.path + (
                    "?" + request.url.query if request.url.query else "")}), status_code=303)
            request.state.user = user
            if request.method == "POST":
                form = await request.form()
                if not csrf_ok(request, form.get("csrf_token")):
                    return error_page(request, 403, "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。")
                request.state.form = form
            if role is not None and not user_store.has_role(user["role"], role):
                return error_page(request, 403, ROLE_MESSAGES.get(role, "您的账号无权进行此操作。"))
            return await func(request)

        return wrapper

    return deco


# ---------------------------------------------------------------- filters and links


MAX_INT = 2**62  # larger numbers are no id, page or year (SQLite integers are 64-bit)


def int_param(value: Any) -> int | None:
    try:
        n = int(str(value).strip()[:30])
    except (TypeError, ValueError):
        return None
    return n if -MAX_INT < n < MAX_INT else None


def text_param(value: Any, allowed: dict | tuple | None = None) -> str | None:
    value = (str(value).strip() if value is not None else "") or None
    if value is not None and allowed is not None and value not in allowed:
        return None
    return value


def filters_from(params: Any) -> Filters:
    """Filters from query parameters; unknown codes are dropped rather than trusted."""
    region = text_param(params.get("region"))
    if region and not region.replace(":self", "").isalnum():
        region = None
    return Filters(
        region=region.replace(":self", "") if region else None,
        level=text_param(params.get("level"), labels.LEVELS),
        year=int_param(params.get("year")),
        rule=text_param(params.get("rule")),
        severity=text_param(params.get("severity"), labels.SEVERITIES),
        status=text_param(params.get("status"), labels.STATUSES),
        group_by=text_param(params.get("group_by"), labels.REGION_LEVEL_LABELS),
    )


def filter_params(f: Filters, **changes: Any) -> dict[str, Any]:
    params = {
        "region": f.region,
        "level": f.level,
        "year": f.year,
        "rule": f.rule,
        "severity": f.severity,
        "status": f.status,
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v not in (None, "")}


def link(path: str, base: dict[str, Any] | None = None, **params: Any) -> str:
    """``path?query`` from ``base`` params updated by ``params`` (empty values dropped)."""
    merged = {**(base or {}), **params}
    clean = {k: v for k, v in merged.items() if v not in (None, "", False)}
    return path + ("?" + urlencode(clean) if clean else "")


# ---------------------------------------------------------------- rendering


def _json(value: Any) -> str:
    if value is None:
        return ""
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    if isinstance(parsed, (dict, list)):
        return json.dumps(parsed, ensure_ascii=False)
    return str(parsed)


def _size(n: int | float | None) -> str:
    """Bytes for people: 812B, 3.4KB, 12.0MB."""
    if not n:
        return "0B"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return str(n)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}秒"
    if seconds < 3600:
        return f"{seconds // 60}分{seconds % 60}秒"
    return f"{seconds // 3600}小时{seconds % 3600 // 60}分"


def _when(value: str | None) -> str:
    """UTC ISO timestamp as local (Beijing) time, minutes precision."""
    if not value:
        return ""
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")


templates.env.globals.update(
    RECTIFY_STATES=rectify.STATES,
    link=link,
    LEVELS=labels.LEVELS,
    SEVERITIES=labels.SEVERITIES,
    STATUSES=labels.STATUSES,
    TIMELINESS=labels.TIMELINESS_LABELS,
    REGION_LEVELS=labels.REGION_LEVEL_LABELS,
    ROLES=user_store.ROLES,
    DATE_SOURCES=labels.DATE_SOURCES,
    READ_BY=labels.READ_BY,
    HEALTH=HEALTH_LABELS,
)
def _epoch(value: float | None) -> str:
    """Epoch seconds as local (Beijing) time, seconds precision."""
    if value is None:
        return ""
    t = dt.datetime.fromtimestamp(float(value), dt.timezone(dt.timedelta(hours=8)))
    return t.strftime("%Y-%m-%d %H:%M:%S")


templates.env.filters.update(json_value=_json, when=_when, size=_size, duration=_duration, epoch=_epoch,
                             value_text=wording.value_text, note_text=wording.note_text)


def render(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    ctx = {
        "user": user,
        "can_review": bool(user and user_store.has_role(user["role"], "reviewer")),
        "is_admin": bool(user and user["role"] == "admin"),
        "scope_label": request_scope(request).label if user else None,
        "csrf_token": csrf_token(request),
        "flashes": request.session.pop("flash", []),
        "rule_titles": request.app.state.rule_titles(),
        "nav": request.url.path,
        "request_path": request.url.path + ("?" + request.url.query if request.url.query else ""),
    }
    ctx.update(context)
    response = templates.TemplateResponse(request, name, ctx, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response



# ---------------------------------------------------------------- errors


async def not_found(request: Request, exc: Exception) -> Response:
    """A Chinese 404 page for unknown paths and for ids too large to be any stored row."""
    request.state.user = getattr(request.state, "user", None) or current_user(request)
    return error_page(request, 404, "没有找到这个页面或记录，请检查网址，或从导航重新进入。")


async def http_error(request: Request, exc: Exception) -> Response:
    """Other HTTP errors (e.g. 405) as a Chinese page."""
    status = getattr(exc, "status_code", 400)
    if status == 404:
        return await not_found(request, exc)
    request.state.user = getattr(request.state, "user", None) or current_user(request)
    message = {405: "不支持此操作方式。"}.get(status, "请求无法处理。")
    return error_page(request, status, message)


# An id beyond SQLite's integer range raises OverflowError in the query: no such row, so 404.
EXCEPTION_HANDLERS = {HTTPException: http_error, OverflowError: not_found}
