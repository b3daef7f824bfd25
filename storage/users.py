"""Workbench accounts and per-database secrets (tables from migration ``workbench``).

Passwords are hashed with scrypt (``hashlib.scrypt``) and a random per-user salt; the stored
form is ``scrypt$n$r$p$salt_hex$hash_hex`` so parameters can be raised later without breaking
old hashes.  The session-signing key is generated once per database and kept in ``app_secrets``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any

from nianbao.storage.store import now_iso

if TYPE_CHECKING:
    from nianbao.storage.store import Store

ROLES: dict[str, str] = {"reviewer": "审核员", "readonly": "只读"}
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


def add_user(store: Store, name: str, password: str, role: str) -> int:
    """Create an account (or reset an existing one's password and role); returns its id."""

    name = name.strip()
    if not name:
        raise ValueError("用户名不能为空")
    if role not in ROLES:
        raise ValueError(f"未知角色 {role!r}：可用 {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"密码至少 {MIN_PASSWORD} 位")
    now = now_iso()
    with store.transaction():
        store.conn.execute(
            """INSERT INTO users (name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash,
                   disabled = 0, updated_at = excluded.updated_at""",
            (name, role, hash_password(password), now, now),
        )
        return store.conn.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()[0]


def get_user(store: Store, name: str) -> dict[str, Any] | None:
    """The enabled account named ``name`` (without its hash), or None."""
    return store.one(
        "SELECT id, name, role, created_at, last_login_at FROM users WHERE name = ? AND disabled = 0",
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
    return store.query("SELECT id, name, role, disabled, created_at, last_login_at FROM users ORDER BY name")


def secret(store: Store, name: str = "session_key") -> str:
    """A random secret generated on first use and kept in the database (so per database)."""

    row = store.one("SELECT value FROM app_secrets WHERE name = ?", (name,))
    if row:
        return row["value"]
    with store.transaction():
        store.conn.execute(
            "INSERT OR IGNORE INTO app_secrets (name, value, created_at) VALUES (?, ?, ?)",
            (name, secrets.token_urlsafe(48), now_iso()),
        )
        return store.conn.execute("SELECT value FROM app_secrets WHERE name = ?", (name,)).fetchone()[0]
