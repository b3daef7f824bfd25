"""Server-side sessions, the signing key, login throttling settings and the POST origin check.

The session cookie (``nianbao_session``, ``HttpOnly; SameSite=Lax``) holds a random token; the
database keeps only ``HMAC(key, token)`` with the user, times, user agent and a small JSON bag
(CSRF token, flash messages) that views reach as ``request.session``.  The cookie is set only
when a session starts (login, password change) and cleared only on a POST (logout): no GET ever
sets or clears it, so a page opened from another site cannot log the user out.  The login form's
CSRF token is bound to a separate ``nianbao_login`` cookie.

The key is not in the database: it comes from ``NIANBAO_SECRET_KEY`` or from a key file beside
the database (``<db>.key``, created with mode 0600 on first use).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import secrets
import time
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nianbao.storage import users as user_store
from nianbao.storage.store import Store

SESSION_COOKIE = "nianbao_session"
LOGIN_COOKIE = "nianbao_login"
KEY_ENV = "NIANBAO_SECRET_KEY"
MIN_KEY = 32
HSTS = "max-age=31536000"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FOREIGN_ORIGIN_MESSAGE = "请求来源不是本工作台，已拒绝（跨站请求）。请在工作台页面内重新操作。"


@dataclass(frozen=True)
class SecuritySettings:
    """Timeouts, throttling and HTTPS settings of the workbench (all from the environment too)."""

    idle_seconds: float = 2 * 3600  # a session unused this long ends
    absolute_seconds: float = 12 * 3600  # and any session ends this long after login
    max_failures: int = 5  # wrong passwords per account before a temporary lock
    max_failures_per_client: int = 20  # wrong passwords per client address before a lock
    lock_seconds: float = 15 * 60
    delay_base: float = 1.0  # back-off from the 2nd failure on: delay_base * 2**(failures-2) seconds
    delay_max: float = 30.0
    secure_cookies: bool = False  # Secure cookie + HSTS (else only behind a trusted HTTPS proxy)
    trusted_proxies: frozenset[str] = field(default_factory=frozenset)  # addresses whose X-Forwarded-* count
    touch_seconds: float = 30.0  # last_seen is written at most this often

    _ENV = {
        "idle_seconds": "NIANBAO_SESSION_IDLE_SECONDS",
        "absolute_seconds": "NIANBAO_SESSION_MAX_SECONDS",
        "max_failures": "NIANBAO_LOGIN_MAX_FAILURES",
        "max_failures_per_client": "NIANBAO_LOGIN_CLIENT_MAX_FAILURES",
        "lock_seconds": "NIANBAO_LOGIN_LOCK_SECONDS",
        "delay_base": "NIANBAO_LOGIN_DELAY_SECONDS",
        "delay_max": "NIANBAO_LOGIN_DELAY_MAX_SECONDS",
        "secure_cookies": "NIANBAO_SECURE_COOKIES",
        "trusted_proxies": "NIANBAO_TRUSTED_PROXIES",
        "touch_seconds": "NIANBAO_SESSION_TOUCH_SECONDS",
    }

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> SecuritySettings:
        """Defaults, then ``NIANBAO_*`` environment variables, then ``overrides``."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        kinds = {f.name: str(f.type) for f in fields(cls)}
        for name, var in cls._ENV.items():
            raw = env.get(var)
            if raw is None or raw.strip() == "":
                continue
            kind = kinds[name]
            try:
                if kind == "bool":
                    values[name] = raw.strip().lower() in ("1", "true", "yes", "on")
                elif kind == "int":
                    values[name] = int(raw)
                elif kind == "float":
                    values[name] = float(raw)
                else:
                    values[name] = frozenset(p.strip() for p in raw.split(",") if p.strip())
            except ValueError as exc:
                raise ValueError(f"环境变量 {var} 的值无效：{raw!r}") from exc
        settings = replace(cls(), **values)
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})


def session_key(db_path: str | os.PathLike) -> bytes:
    """The signing key: ``$NIANBAO_SECRET_KEY``, else ``<db>.key`` (created 0600 on first use)."""
    env = os.environ.get(KEY_ENV, "")
    if env:
        if len(env) < MIN_KEY:
            raise ValueError(f"{KEY_ENV} 至少需要 {MIN_KEY} 个字符")
        return env.encode("utf-8")
    path = Path(os.fspath(db_path) + ".key")
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (secrets.token_urlsafe(48) + "\n").encode("ascii"))
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic: a concurrent first start keeps one key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_KEY:
        raise ValueError(f"密钥文件 {path} 内容过短（至少 {MIN_KEY} 个字符）")
    return key.encode("ascii")


def _mac(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _set_cookie(name: str, value: str, *, max_age: int, secure: bool) -> str:
    parts = [f"{name}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def _netloc(scheme: str, netloc: str) -> str:
    """``host[:port]`` lower-cased, without the scheme's default port."""
    netloc = netloc.strip().lower()
    port = _DEFAULT_PORTS.get(scheme, "")
    return netloc[: -len(port)] if port and netloc.endswith(port) else netloc


def _host_of(url: str) -> tuple[str, str]:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    return scheme, _netloc(scheme, parts.netloc or "")


class WorkbenchSecurity:
    """ASGI middleware: client address, HTTPS detection, POST origin check, server-side sessions."""

    def __init__(self, app: ASGIApp, *, store: Store, key: bytes, settings: SecuritySettings) -> None:
        self.app, self.store, self.key, self.settings = app, store, key, settings

    # ---------------------------------------------------------------- request facts

    def _client_and_https(self, request: Request, scope: Scope) -> tuple[str, bool]:
        peer = scope["client"][0] if scope.get("client") else ""
        https = scope.get("scheme") == "https"
        if peer in self.settings.trusted_proxies:
            forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",") if a.strip()]
            while forwarded and forwarded[-1] in self.settings.trusted_proxies:
                forwarded.pop()
            if forwarded:
                peer = forwarded[-1][:64]
            https = https or request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower() == "https"
        return peer, https

    def _origin_ok(self, request: Request, https: bool) -> bool:
        """A POST must come from this site: Origin (or else Referer) names our host; neither
        present (a non-browser client) passes, the CSRF token still guards it."""
        origin = request.headers.get("origin")
        if origin is None:
            referer = request.headers.get("referer")
            if not referer:
                return True
            origin = referer
        if origin.strip().lower() == "null":
            return False
        scheme, netloc = _host_of(origin)
        schemes = {request.url.scheme, "https"} if https or self.settings.secure_cookies else {request.url.scheme}
        hosts = {request.headers.get("host", "")}
        peer = request.scope["client"][0] if request.scope.get("client") else ""
        if peer in self.settings.trusted_proxies:  # the public name the proxy was reached by
            hosts.add(request.headers.get("x-forwarded-host", "").split(",")[0])
        hosts = {_netloc(scheme, h) for h in hosts if h.strip()}
        return bool(netloc) and netloc in hosts and scheme in schemes

    # ---------------------------------------------------------------- ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        client, https = self._client_and_https(request, scope)
        secure = https or self.settings.secure_cookies
        scope["nianbao.client"], scope["nianbao.secure"] = client, secure
        scope["nianbao.security"] = self
        if request.method in UNSAFE_METHODS and not self._origin_ok(request, https):
            user_store.log_event(self.store, "foreign_origin", None, client,
                                 f"{request.method} {request.url.path} Origin={request.headers.get('origin')!r} "
                                 f"Referer={request.headers.get('referer')!r}"[:500])  # fmt: skip
            response = HTMLResponse(f"<!DOCTYPE html><meta charset=utf-8><title>无权操作</title>"
                                    f"<h1>无权操作</h1><p>{FOREIGN_ORIGIN_MESSAGE}</p>", status_code=403)  # fmt: skip
            if secure:
                response.headers["Strict-Transport-Security"] = HSTS
            await response(scope, receive, send)
            return

        now = time.time()
        token = request.cookies.get(SESSION_COOKIE)
        row = None
        if token and len(token) <= 200:
            row = user_store.load_session(self.store, _mac(self.key, "session", token),
                                          idle_seconds=self.settings.idle_seconds,
                                          absolute_seconds=self.settings.absolute_seconds, now=now)  # fmt: skip
        scope["nianbao.session_row"] = row
        scope["session"] = dict(row["data"]) if row else {}
        before = json.dumps(scope["session"], sort_keys=True)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                self._finish(scope, headers, before, now)
                if secure:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _finish(self, scope: Scope, headers: MutableHeaders, before: str, now: float) -> None:
        """Save the session bag, set or clear cookies as the view asked."""
        secure = scope["nianbao.secure"]
        row = scope.get("nianbao.session_row")
        new_token = scope.get("nianbao.new_token")
        if row is not None:
            data = scope.get("session") or {}
            changed = json.dumps(data, sort_keys=True) != before or new_token is not None
            if changed or now - row["last_seen"] >= self.settings.touch_seconds:
                user_store.touch_session(self.store, row["id"], data=data if changed else None, now=now)
        if new_token is not None:
            # the server decides when a session ends; the cookie just outlives it
            headers.append("set-cookie", _set_cookie(SESSION_COOKIE, new_token, secure=secure,
                                                     max_age=math.ceil(self.settings.absolute_seconds) + 60))  # fmt: skip
        elif scope.get("nianbao.clear_session") and scope["method"] in UNSAFE_METHODS:
            headers.append("set-cookie", _set_cookie(SESSION_COOKIE, "", max_age=0, secure=secure))
        if scope.get("nianbao.new_login_cookie"):
            headers.append("set-cookie", _set_cookie(LOGIN_COOKIE, scope["nianbao.new_login_cookie"],
                                                     max_age=int(self.settings.absolute_seconds), secure=secure))  # fmt: skip


# ---------------------------------------------------------------- helpers for views


def _security(request: Request) -> WorkbenchSecurity:
    return request.scope["nianbao.security"]


def client_address(request: Request) -> str:
    return request.scope.get("nianbao.client", "")


def session_user(request: Request) -> dict[str, Any] | None:
    """The live session's user (id, name, role, region scope), read afresh on every request, or None."""
    row = request.scope.get("nianbao.session_row")
    return ({"id": row["user_id"], "name": row["user_name"], "role": row["role"], "region": row.get("region_code")}
            if row else None)  # fmt: skip


def start_session(request: Request, user: dict[str, Any]) -> None:
    """A fresh session for ``user`` (any current one ends: no fixation); the cookie goes out
    with the response."""
    sec = _security(request)
    old = request.scope.get("nianbao.session_row")
    if old is not None:
        user_store.end_session(sec.store, old["id"], "rotated")
    token = secrets.token_urlsafe(32)
    data = {"csrf": secrets.token_urlsafe(32)}
    user_store.create_session(sec.store, _mac(sec.key, "session", token), user["id"],
                              user_agent=request.headers.get("user-agent"), client=client_address(request),
                              data=data)  # fmt: skip
    row = user_store.load_session(sec.store, _mac(sec.key, "session", token),
                                  idle_seconds=sec.settings.idle_seconds, absolute_seconds=sec.settings.absolute_seconds)  # fmt: skip
    request.scope["nianbao.session_row"] = row
    request.scope["nianbao.new_token"] = token
    request.session.clear()
    request.session.update(data)


def end_session(request: Request, reason: str = "logout") -> None:
    """End the current session; the cookie is cleared in the (POST) response."""
    sec = _security(request)
    row = request.scope.get("nianbao.session_row")
    if row is not None:
        user_store.end_session(sec.store, row["id"], reason)
    request.scope["nianbao.session_row"] = None
    request.scope["nianbao.clear_session"] = True
    request.session.clear()


def csrf_token(request: Request) -> str:
    """The CSRF token for forms: the session's, or (logged out) one bound to the login cookie."""
    if request.scope.get("nianbao.session_row") is not None:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = secrets.token_urlsafe(32)
        return token
    value = request.cookies.get(LOGIN_COOKIE) or request.scope.get("nianbao.new_login_cookie")
    if not value or len(value) > 200:
        value = request.scope["nianbao.new_login_cookie"] = secrets.token_urlsafe(32)
    return _mac(_security(request).key, "login", value)


def csrf_ok(request: Request, sent: Any) -> bool:
    if not isinstance(sent, str) or not sent:
        return False
    if request.scope.get("nianbao.session_row") is not None:
        expected = request.session.get("csrf")
        return bool(expected) and hmac.compare_digest(expected, sent)
    value = request.cookies.get(LOGIN_COOKIE)
    return bool(value) and len(value) <= 200 and hmac.compare_digest(_mac(_security(request).key, "login", value), sent)


def settings_of(request: Request) -> SecuritySettings:
    return _security(request).settings
