"""Login (throttled), logout, password change and the security log."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from nianbao.storage import users as user_store
from nianbao.workbench.sessions import client_address, end_session, settings_of, start_session
from nianbao.workbench.web import (
    csrf_ok,
    current_user,
    error_page,
    flash,
    page,
    render,
    request_scope,
    safe_next,
)

CSRF_MESSAGE = "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。"


def _wait_text(seconds: float) -> str:
    seconds = max(1, math.ceil(seconds))
    return f"{seconds} 秒" if seconds < 120 else f"{math.ceil(seconds / 60)} 分钟"


def _throttle_keys(name: str, client: str) -> tuple[str, str]:
    return f"user:{name.strip()[:100]}", f"client:{client}"


async def login(request: Request) -> Response:
    """GET: the form; POST: check CSRF, the throttle, then the password; start a fresh session."""
    nxt = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        if current_user(request):
            return RedirectResponse(nxt, status_code=303)
        return render(request, "login.html", {"next": nxt, "error": None})
    form = await request.form()
    if not csrf_ok(request, form.get("csrf_token")):
        return error_page(request, 403, CSRF_MESSAGE)
    store, settings = request.app.state.store, settings_of(request)
    name = str(form.get("username") or "")[:100]
    nxt = safe_next(str(form.get("next") or ""), nxt)
    client = client_address(request)
    user_key, client_key = _throttle_keys(name, client)
    key, wait, locked = user_store.throttle_state(store, [user_key, client_key], delay_base=settings.delay_base,
                                                  delay_max=settings.delay_max)  # fmt: skip
    if key is not None:
        user_store.log_event(store, "throttled", name, client, f"{key}：还需等待 {wait:.1f} 秒")
        message = (f"登录失败次数过多，{'该账号' if key == user_key else '本机地址'}已被临时锁定，请 {_wait_text(wait)}后再试。"
                   if locked else f"登录尝试过于频繁，请 {_wait_text(wait)}后再试。")  # fmt: skip
        response = render(request, "login.html", {"next": nxt, "error": message, "name": name}, status=429)
        response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
    user = user_store.authenticate(store, name, str(form.get("password") or ""))
    if user is None:
        now_locked = user_store.record_failure(
            store, {user_key: settings.max_failures, client_key: settings.max_failures_per_client},
            lock_seconds=settings.lock_seconds,
        )  # fmt: skip
        user_store.log_event(store, "login_failed", name, client, None)
        message = "用户名或密码错误。"
        for k in now_locked:
            user_store.log_event(store, "locked", name, client, f"{k}：锁定 {settings.lock_seconds:g} 秒")
        if now_locked:
            message += f"失败次数过多，已临时锁定，请 {_wait_text(settings.lock_seconds)}后再试。"
        return render(request, "login.html", {"next": nxt, "error": message, "name": name}, status=401)
    user_store.record_success(store, [user_key])
    user_store.log_event(store, "login", user["name"], client, request.headers.get("user-agent", "")[:200])
    start_session(request, user)  # new session on login (no fixation)
    flash(request, f"欢迎，{user['name']}。")
    return RedirectResponse(nxt, status_code=303)


@page()
async def logout(request: Request) -> Response:
    user_store.log_event(request.app.state.store, "logout", request.state.user["name"], client_address(request), None)
    end_session(request, "logout")
    return RedirectResponse("/login", status_code=303)


@page()
async def change_password(request: Request) -> Response:
    """Change one's own password: every session of the account ends, this browser gets a new one."""
    user = request.state.user
    if request.method == "GET":
        return render(request, "password.html", {"error": None})
    form = request.state.form
    store = request.app.state.store
    current, new, again = (str(form.get(k) or "") for k in ("current", "new", "again"))
    if user_store.authenticate(store, user["name"], current) is None:
        user_store.log_event(store, "login_failed", user["name"], client_address(request), "修改密码时原密码错误")
        return render(request, "password.html", {"error": "原密码不正确。"}, status=400)
    if new != again:
        return render(request, "password.html", {"error": "两次输入的新密码不一致。"}, status=400)
    try:
        user_store.set_password(store, user["id"], new)
    except ValueError as exc:
        return render(request, "password.html", {"error": str(exc)}, status=400)
    user_store.log_event(store, "password_changed", user["name"], client_address(request), "其他会话已全部结束")
    start_session(request, user)
    flash(request, "密码已修改；其他设备和浏览器上的登录已全部退出。")
    return RedirectResponse("/", status_code=303)


@page()
async def security_log(request: Request) -> Response:
    """Login events and live sessions (admins and reviewers without a region scope see everyone's;
    read-only and region-scoped accounts their own)."""
    store = request.app.state.store
    user = request.state.user
    everyone = user_store.has_role(user["role"], "reviewer") and not request_scope(request).limited
    own = None if everyone else user["name"]
    return render(request, "security.html", {
        "events": user_store.auth_events(store, limit=300, user_name=own),
        "sessions": user_store.live_sessions(store, own),
        "EVENTS": user_store.EVENT_LABELS,
    })  # fmt: skip
