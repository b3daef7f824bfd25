"""Workbench accounts and per-database secrets (tables from migration ``workbench``).

Passwords are hashed with scrypt (``hashlib.scrypt``) and a random per-user salt; the stored
form is ``scrypt$n$r$p$salt_hex$hash_hex`` so parameters can be raised later without breaking
old hashes.

Sessions are kept server-side (table ``sessions``, migration ``sessions``): a row per login,
keyed by a keyed hash of the cookie's token, ended by logout, a password change or reset, an
account being disabled, or the idle and absolute timeouts.  Failed logins are counted per
account and per client address (``login_throttle``) and every login, refusal, lock and session
end is written to ``auth_events``.  The signing key is not kept here (see
:mod:`nianbao.workbench.sessions`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nianbao.storage.store import now_iso

if TYPE_CHECKING:
    from nianbao.storage.store import Store

ROLES: dict[str, str] = {"admin": "管理员", "reviewer": "审核员", "readonly": "只读"}
# what each role may do, weakest first: an admin also reviews
RANK: dict[str, int] = {"readonly": 0, "reviewer": 1, "admin": 2}
LAST_ADMIN = ("不能停用或降级最后一个启用的管理员账号：否则将没有人能够在工作台中创建、停用账号或重置密码。"
              "请先将另一个账号设为管理员。")  # fmt: skip
ADMIN_SCOPED = "管理员账号不能限定地区：管理员可以创建任意账号，地区限制对其没有意义。"


class AccountError(ValueError):
    """An account change refused (the message is for the user, in Chinese)."""


def has_role(role: str | None, needed: str) -> bool:
    """Whether ``role`` may do what ``needed`` may (admin > reviewer > readonly)."""
    return RANK.get(role or "", -1) >= RANK[needed]
_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD = 8


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` for a password (random 16-byte salt unless given)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of a password against :func:`hash_password` output."""
    try:
        algo, n, r, p, salt_hex, hash_hex = stored.split("$")
        if algo != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt_hex),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(hash_hex) // 2,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), hash_hex)


# dummy hash so that a login for an unknown name costs as much as a wrong password
_DUMMY = hash_password("nianbao-dummy-password", salt=b"\0" * 16)


def _check_account(name: str, password: str | None, role: str, region_code: str | None) -> str:
    name = name.strip()
    if not name:
        raise AccountError("用户名不能为空")
    if len(name) > 100:
        raise AccountError("用户名过长（最多 100 字）")
    if role not in ROLES:
        raise AccountError(f"未知角色 {role!r}：可用 {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")
    if role == "admin" and region_code:
        raise AccountError(ADMIN_SCOPED)
    return name


def _enabled_admins(store: Store, *, besides: int | None = None) -> int:
    return store.conn.execute(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id IS NOT ?", (besides,)
    ).fetchone()[0]


def guard_last_admin(store: Store, user_id: int, *, role: str | None = None, disabled: bool = False) -> None:
    """Refuse a change that would leave no enabled admin (when there is one now)."""
    row = store.conn.execute("SELECT role, disabled FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None or row[0] != "admin" or row[1]:
        return
    if (disabled or (role is not None and role != "admin")) and _enabled_admins(store, besides=user_id) == 0:
        raise AccountError(LAST_ADMIN)


def add_user(store: Store, name: str, password: str, role: str, region_code: str | None = None) -> int:
    """Create an account (or reset an existing one's password, role and scope); returns its id.

    The CLI's ``users add``; the web app's admin page uses :func:`create_user` (no overwrite).
    """
    name = _check_account(name, password, role, region_code)
    now = now_iso()
    with store.transaction():
        existing = store.conn.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()
        if existing:
            guard_last_admin(store, existing[0], role=role)
        store.conn.execute(
            """INSERT INTO users (name, role, password_hash, created_at, updated_at, region_code)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash,
                   region_code = excluded.region_code, disabled = 0, updated_at = excluded.updated_at""",
            (name, role, hash_password(password), now, now, region_code or None),
        )
        user_id = store.conn.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()[0]
        # a reset password ends every session of the account
        if end_user_sessions(store, user_id, "reset"):
            log_event(store, "sessions_ended", name, None, "密码已由管理员重置")
        return user_id


def _where(code: str | None, name_of: Callable[[str], str | None] | None) -> str:
    """A region scope for the log: its name and code (全部 for none)."""
    if not code:
        return "全部"
    name = name_of(code) if name_of else None
    return f"{name}（{code}）" if name else code


def create_user(store: Store, name: str, password: str, role: str, region_code: str | None, *,
                by: str, client: str | None = None, name_of: Callable[[str], str | None] | None = None) -> int:  # fmt: skip
    """A new account created by the admin ``by`` (an existing name is refused); logged (``name_of``
    names the region in the log)."""
    name = _check_account(name, password, role, region_code)
    now = now_iso()
    with store.transaction():
        if store.conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise AccountError(f"账号 {name} 已存在")
        cur = store.conn.execute(
            "INSERT INTO users (name, role, password_hash, created_at, updated_at, region_code) VALUES (?, ?, ?, ?, ?, ?)",
            (name, role, hash_password(password), now, now, region_code or None),
        )
        log_event(store, "account_created", name, client,
                  f"管理员 {by} 创建；角色 {ROLES[role]}；地区 {_where(region_code, name_of)}")  # fmt: skip
        return int(cur.lastrowid)


def user_by_id(store: Store, user_id: int) -> dict[str, Any] | None:
    return store.one("SELECT id, name, role, disabled, region_code, created_at, updated_at, last_login_at "
                     "FROM users WHERE id = ?", (user_id,))  # fmt: skip


def update_account(store: Store, user_id: int, *, role: str, region_code: str | None, by: str,
                   client: str | None = None, name_of: Callable[[str], str | None] | None = None) -> bool:  # fmt: skip
    """Change an account's role and region scope (logged); False when nothing changed.

    The account's live sessions keep going: every request reads the role and scope afresh.
    """
    with store.transaction():
        user = user_by_id(store, user_id)
        if user is None:
            raise AccountError("没有这个账号")
        _check_account(user["name"], None, role, region_code)
        region_code = region_code or None
        if user["role"] == role and user["region_code"] == region_code:
            return False
        guard_last_admin(store, user_id, role=role)
        store.conn.execute("UPDATE users SET role = ?, region_code = ?, updated_at = ? WHERE id = ?",
                           (role, region_code, now_iso(), user_id))  # fmt: skip
        changes = []
        if user["role"] != role:
            changes.append(f"角色 {ROLES.get(user['role'], user['role'])} → {ROLES[role]}")
        if user["region_code"] != region_code:
            changes.append(f"地区 {_where(user['region_code'], name_of)} → {_where(region_code, name_of)}")
        log_event(store, "account_changed", user["name"], client, f"管理员 {by}：" + "；".join(changes))
    return True


def reset_password(store: Store, user_id: int, password: str, *, by: str, client: str | None = None) -> None:
    """An admin sets a new password: every session of the account ends (logged)."""
    user = user_by_id(store, user_id)
    if user is None:
        raise AccountError("没有这个账号")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")
    with store.transaction():
        store.conn.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                           (hash_password(password), now_iso(), user_id))  # fmt: skip
        ended = end_user_sessions(store, user_id, "reset")
        log_event(store, "password_reset", user["name"], client, f"管理员 {by} 重置密码；结束会话 {ended} 个")


def set_password(store: Store, user_id: int, password: str) -> None:
    """Change an account's password and end all its sessions (the caller may start a new one)."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"密码至少 {MIN_PASSWORD} 位")
    with store.transaction():
        store.conn.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                           (hash_password(password), now_iso(), user_id))  # fmt: skip
        end_user_sessions(store, user_id, "password")


def set_disabled(store: Store, name: str, disabled: bool = True, *, by: str | None = None,
                 client: str | None = None) -> bool:  # fmt: skip
    """Disable (or enable) an account; disabling ends its sessions at once.  False if there is no
    such account; :class:`AccountError` for the last enabled admin."""
    with store.transaction():
        row = store.conn.execute("SELECT id FROM users WHERE name = ?", (name.strip(),)).fetchone()
        if row is None:
            return False
        if disabled:
            guard_last_admin(store, row[0], disabled=True)
        store.conn.execute("UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?",
                           (int(disabled), now_iso(), row[0]))  # fmt: skip
        ended = end_user_sessions(store, row[0], "disabled") if disabled else 0
        detail = f"管理员 {by}" if by else None
        if ended:
            detail = (detail + "；" if detail else "") + f"结束会话 {ended} 个"
        log_event(store, "disabled" if disabled else "enabled", name.strip(), client, detail)
    return True


def get_user(store: Store, name: str) -> dict[str, Any] | None:
    """The enabled account named ``name`` (without its hash), or None."""
    return store.one(
        "SELECT id, name, role, region_code, created_at, last_login_at FROM users WHERE name = ? AND disabled = 0",
        (name,),
    )


def authenticate(store: Store, name: str, password: str) -> dict[str, Any] | None:
    """The account if the password is right (and records the login time), else None."""

    row = store.one(
        "SELECT id, name, role, password_hash FROM users WHERE name = ? AND disabled = 0", (name.strip(),)
    )
    if row is None:
        verify_password(password, _DUMMY)
        return None
    if not verify_password(password, row.pop("password_hash")):
        return None
    with store.transaction():
        store.conn.execute("UPDATE users SET last_login_at = ? WHERE id = ?", (now_iso(), row["id"]))
    return row


def list_users(store: Store) -> list[dict[str, Any]]:
    return store.query("SELECT id, name, role, disabled, region_code, created_at, updated_at, last_login_at "
                       "FROM users ORDER BY name")


def secret(store: Store, name: str) -> str:
    """A random secret generated on first use and kept in the database (never the session key)."""
    if name == "session_key":
        raise ValueError("the session key is kept outside the database (nianbao.workbench.sessions)")

    row = store.one("SELECT value FROM app_secrets WHERE name = ?", (name,))
    if row:
        return row["value"]
    with store.transaction():
        store.conn.execute(
            "INSERT OR IGNORE INTO app_secrets (name, value, created_at) VALUES (?, ?, ?)",
            (name, secrets.token_urlsafe(48), now_iso()),
        )
        return store.conn.execute("SELECT value FROM app_secrets WHERE name = ?", (name,)).fetchone()[0]


# ---------------------------------------------------------------- server-side sessions


def create_session(store: Store, session_id: str, user_id: int, *, user_agent: str | None, client: str | None,
                   data: dict[str, Any], now: float | None = None) -> None:  # fmt: skip
    """Record a new session (``session_id`` is already the keyed hash of the cookie token)."""
    now = time.time() if now is None else now
    with store.transaction():
        store.conn.execute(
            "INSERT INTO sessions (id, user_id, created, last_seen, user_agent, client, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (session_id, user_id, now, now, (user_agent or "")[:300], client, json.dumps(data, ensure_ascii=False)),
        )


def load_session(store: Store, session_id: str, *, idle_seconds: float, absolute_seconds: float,
                 now: float | None = None) -> dict[str, Any] | None:  # fmt: skip
    """The live session (with its enabled user's name and role, and ``data`` decoded), else None.

    A session past its idle or absolute timeout, or whose account is disabled, is ended here.
    """
    now = time.time() if now is None else now
    row = store.one(
        """SELECT s.id, s.user_id, s.created, s.last_seen, s.user_agent, s.client, s.data, s.ended,
                  u.name AS user_name, u.role, u.disabled, u.region_code
           FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?""",
        (session_id,),
    )
    if row is None or row["ended"] is not None:
        return None
    reason = ("disabled" if row["disabled"] else "expired" if now - row["created"] > absolute_seconds
              else "idle" if now - row["last_seen"] > idle_seconds else None)  # fmt: skip
    if reason:
        end_session(store, session_id, reason, now=now)
        return None
    try:
        row["data"] = json.loads(row["data"]) or {}
    except ValueError:
        row["data"] = {}
    return row


def touch_session(store: Store, session_id: str, *, data: dict[str, Any] | None = None,
                  now: float | None = None) -> None:  # fmt: skip
    """Record activity (and the new ``data`` when given)."""
    now = time.time() if now is None else now
    with store.transaction():
        if data is None:
            store.conn.execute("UPDATE sessions SET last_seen = ? WHERE id = ? AND ended IS NULL", (now, session_id))
        else:
            store.conn.execute("UPDATE sessions SET last_seen = ?, data = ? WHERE id = ? AND ended IS NULL",
                               (now, json.dumps(data, ensure_ascii=False), session_id))  # fmt: skip


def end_session(store: Store, session_id: str, reason: str, *, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    with store.transaction():
        cur = store.conn.execute(
            "UPDATE sessions SET ended = ?, ended_reason = ?, data = '{}' WHERE id = ? AND ended IS NULL",
            (now, reason, session_id),
        )
    return cur.rowcount > 0


def end_user_sessions(store: Store, user_id: int, reason: str, *, now: float | None = None) -> int:
    """End every live session of an account; returns how many."""
    now = time.time() if now is None else now
    with store.transaction():
        cur = store.conn.execute(
            "UPDATE sessions SET ended = ?, ended_reason = ?, data = '{}' WHERE user_id = ? AND ended IS NULL",
            (now, reason, user_id),
        )
    return cur.rowcount


def live_sessions(store: Store, user_name: str | None = None) -> list[dict[str, Any]]:
    sql = """SELECT s.created, s.last_seen, s.user_agent, s.client, u.name AS user_name
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.ended IS NULL"""
    return store.query(sql + (" AND u.name = ?" if user_name else "") + " ORDER BY s.last_seen DESC",
                       (user_name,) if user_name else ())  # fmt: skip


# ---------------------------------------------------------------- login throttling and events

EVENT_LABELS: dict[str, str] = {
    "login": "登录成功",
    "login_failed": "密码错误",
    "throttled": "登录过于频繁（已拒绝）",
    "locked": "临时锁定",
    "logout": "退出登录",
    "password_changed": "修改密码",
    "sessions_ended": "会话已全部结束",
    "disabled": "停用账号",
    "enabled": "启用账号",
    "account_created": "创建账号",
    "account_changed": "修改角色或地区",
    "password_reset": "管理员重置密码",
    "unlocked": "管理员解除锁定",
    "foreign_origin": "跨站请求（已拒绝）",
}


MAX_EVENTS = 100_000  # auth_events keeps the newest this many (an attack must not fill the disk)


def log_event(store: Store, event: str, user_name: str | None, client: str | None, detail: str | None) -> None:
    at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    with store.transaction():
        cur = store.conn.execute(
            "INSERT INTO auth_events (at, event, user_name, client, detail) VALUES (?, ?, ?, ?, ?)",
            (at, event, (user_name or "")[:100] or None, client, (detail or "")[:500] or None),
        )
        if cur.lastrowid and cur.lastrowid % 1000 == 0:
            store.conn.execute("DELETE FROM auth_events WHERE id <= ?", (cur.lastrowid - MAX_EVENTS,))


def auth_events(store: Store, *, limit: int = 200, user_name: str | None = None) -> list[dict[str, Any]]:
    where = " WHERE user_name = ?" if user_name else ""
    return store.query(f"SELECT at, event, user_name, client, detail FROM auth_events{where} ORDER BY id DESC LIMIT ?",
                       (*([user_name] if user_name else []), limit))  # fmt: skip


def throttle_state(store: Store, keys: list[str], *, delay_base: float, delay_max: float,
                   now: float | None = None) -> tuple[str | None, float, bool]:  # fmt: skip
    """(key, seconds to wait, locked) for the first of ``keys`` that is locked or still in its
    back-off delay (``delay_base * 2**(failures - 2)`` after the second and later failures, at most
    ``delay_max``); (None, 0, False) when a login attempt may be checked now."""
    now = time.time() if now is None else now
    rows = {r["key"]: r for r in store.query(
        f"SELECT key, failures, last_failure, locked_until FROM login_throttle WHERE key IN ({','.join('?' * len(keys))})",
        keys)}  # fmt: skip
    for key in keys:
        r = rows.get(key)
        if r is None:
            continue
        if r["locked_until"] and r["locked_until"] > now:
            return key, r["locked_until"] - now, True
        if r["failures"] >= 2 and r["last_failure"]:  # one slip of the finger costs nothing
            wait = r["last_failure"] + min(delay_base * 2 ** (r["failures"] - 2), delay_max) - now
            if wait > 0:
                return key, wait, False
    return None, 0.0, False


def record_failure(store: Store, keys: dict[str, int], *, lock_seconds: float,
                   now: float | None = None) -> list[str]:  # fmt: skip
    """Count a failed login against each key (key -> failures allowed before a lock); returns the
    keys that are now locked (their count starts again after the lock).  A count whose last
    failure is older than ``lock_seconds`` starts again too."""
    now = time.time() if now is None else now
    locked = []
    with store.transaction():
        # counts that have run out (no lock, last failure older than the window) are forgotten, so
        # made-up account names do not pile up
        store.conn.execute(
            "DELETE FROM login_throttle WHERE (locked_until IS NULL OR locked_until < ?) AND "
            "(last_failure IS NULL OR last_failure < ?)",
            (now, now - lock_seconds),
        )
        for key, limit in keys.items():
            store.conn.execute(
                """INSERT INTO login_throttle (key, failures, last_failure) VALUES (?, 1, ?)
                   ON CONFLICT (key) DO UPDATE SET
                       failures = CASE WHEN last_failure IS NULL OR last_failure < ? THEN 1 ELSE failures + 1 END,
                       last_failure = excluded.last_failure""",
                (key, now, now - lock_seconds),
            )
            n = store.conn.execute("SELECT failures FROM login_throttle WHERE key = ?", (key,)).fetchone()[0]
            if n >= limit:
                store.conn.execute(
                    "UPDATE login_throttle SET failures = 0, last_failure = NULL, locked_until = ? WHERE key = ?",
                    (now + lock_seconds, key),
                )
                locked.append(key)
    return locked


def record_success(store: Store, keys: list[str]) -> None:
    """A right password clears the account's count (not the client's: one known account must not
    let an address try others without limit)."""
    with store.transaction():
        store.conn.executemany("DELETE FROM login_throttle WHERE key = ?", [(k,) for k in keys])


def unlock(store: Store, name: str) -> bool:
    """Lift an account's lock and forget its failures (the administrator's override)."""
    with store.transaction():
        cur = store.conn.execute("DELETE FROM login_throttle WHERE key = ?", (f"user:{name.strip()[:100]}",))
    if cur.rowcount:
        log_event(store, "unlocked", name.strip(), None, None)
    return cur.rowcount > 0
