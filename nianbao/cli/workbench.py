"""``nianbao serve`` (the workbench) and ``nianbao users add/list/disable/enable/events``: thin wrappers."""

from __future__ import annotations

import os
import sys

import click

from nianbao.storage import users as user_store
from nianbao.storage.store import Store
from nianbao.workbench.app import create_app
from nianbao.workbench.places import region_name
from nianbao.workbench.scope import resolve_region
from nianbao.workbench.sessions import SecuritySettings

_db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    default=lambda: os.environ.get("NIANBAO_DB", "nianbao.db"),
    show_default="$NIANBAO_DB or nianbao.db",
    help="SQLite database file.",
)


@click.command()
@_db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--secure-cookies", is_flag=True, help="Send the session cookie over HTTPS only (and HSTS).")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="Reverse proxy whose X-Forwarded-For/-Proto are believed (repeatable; "
                   "also $NIANBAO_TRUSTED_PROXIES).")  # fmt: skip
def serve(db_path: str, host: str, port: int, secure_cookies: bool, trusted_proxies: tuple[str, ...]) -> None:
    """Run the review workbench (web pages in Chinese) over a database.

    Session timeouts and login throttling come from NIANBAO_SESSION_* and NIANBAO_LOGIN_*
    environment variables; the signing key from NIANBAO_SECRET_KEY or the key file DB.key.
    """
    import uvicorn


    try:
        settings = SecuritySettings.from_env()
        settings = SecuritySettings.from_env(trusted_proxies=settings.trusted_proxies | frozenset(trusted_proxies))
        app = create_app(db_path, secure_cookies=secure_cookies, settings=settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    n = app.state.store.one("SELECT COUNT(*) AS n FROM users")["n"]
    if n == 0:
        click.echo("提示：还没有任何账号，请先运行 nianbao users add NAME --role admin", err=True)
    click.echo(f"工作台：http://{host}:{port}/  （数据库 {db_path}，按 Ctrl+C 停止）", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@click.group()
def users() -> None:
    """Manage workbench accounts."""


@users.command("add")
@click.argument("name")
@_db_option
@click.option("--role", type=click.Choice(list(user_store.ROLES)), required=True,
              help="Account role: admin (管理员: manages accounts in the web app, and reviews), reviewer, readonly.")
@click.option("--region", "region", default=None, metavar="CODE|NAME",
              help="Limit the account to a division and what lies below it (a division code such as 210300, "
                   "or a unique name such as 辽宁省鞍山市); not for admin accounts.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_add(name: str, db_path: str, role: str, region: str | None, password_stdin: bool) -> None:
    """Create an account (or reset its password, role and region scope)."""

    try:
        region_code = resolve_region(region)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    with Store(db_path) as store:
        try:
            user_store.add_user(store, name, password, role, region_code)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    where = f"，限定地区 {region_name(region_code) or region_code}（{region_code}）" if region_code else ""
    click.echo(f"已保存账号 {name}（{user_store.ROLES[role]}{where}）；数据库 {db_path}")


@users.command("list")
@_db_option
def users_list(db_path: str) -> None:
    """List accounts."""

    with Store(db_path) as store:
        for u in user_store.list_users(store):
            state = "（已停用）" if u["disabled"] else ""
            where = region_name(u["region_code"]) or u["region_code"] if u["region_code"] else "全部地区"
            click.echo(f"{u['name']}\t{user_store.ROLES.get(u['role'], u['role'])}{state}\t{where}\t"
                       f"上次登录 {u['last_login_at'] or '—'}")


def _set_disabled(name: str, db_path: str, disabled: bool) -> None:
    with Store(db_path) as store:
        try:
            found = user_store.set_disabled(store, name, disabled)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        if not found:
            raise click.ClickException(f"没有名为 {name} 的账号")


@users.command("disable")
@click.argument("name")
@_db_option
def users_disable(name: str, db_path: str) -> None:
    """Disable an account: it can no longer log in and its sessions end at once."""
    _set_disabled(name, db_path, True)
    click.echo(f"已停用账号 {name}，其所有登录会话已结束；数据库 {db_path}")


@users.command("enable")
@click.argument("name")
@_db_option
def users_enable(name: str, db_path: str) -> None:
    """Enable a disabled account again."""
    _set_disabled(name, db_path, False)
    click.echo(f"已启用账号 {name}；数据库 {db_path}")


@users.command("unlock")
@click.argument("name")
@_db_option
def users_unlock(name: str, db_path: str) -> None:
    """Lift the temporary lock after too many wrong passwords."""
    with Store(db_path) as store:
        done = user_store.unlock(store, name)
    click.echo(f"已解除账号 {name} 的登录锁定" if done else f"账号 {name} 没有被锁定，也没有失败记录")


@users.command("events")
@_db_option
@click.option("--user", "user_name", help="Only this account.")
@click.option("--limit", default=50, show_default=True, type=int, help="How many recent events.")
def users_events(db_path: str, user_name: str | None, limit: int) -> None:
    """Show recent login events: successes, wrong passwords, throttling, locks, session ends."""
    with Store(db_path) as store:
        for e in user_store.auth_events(store, limit=limit, user_name=user_name):
            click.echo(f"{e['at']}\t{user_store.EVENT_LABELS.get(e['event'], e['event'])}\t{e['user_name'] or '—'}\t"
                       f"{e['client'] or '—'}\t{e['detail'] or ''}".replace("\n", " "))
