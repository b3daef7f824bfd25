"""账户管理 (admins only): create accounts, change role and region scope, reset passwords,
disable and enable; every change goes to the login-events log (``auth_events``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from nianbao.storage import users as user_store
from nianbao.storage import views as q
from nianbao.workbench.places import region_name
from nianbao.workbench.scope import resolve_region
from nianbao.workbench.sessions import client_address
from nianbao.workbench.views.overview import region_options
from nianbao.workbench.web import error_page, flash, page, render, text_param

ACCOUNT_EVENTS = ("account_created", "account_changed", "password_reset", "disabled", "enabled", "sessions_ended")


def _back() -> Response:
    return RedirectResponse("/admin/accounts", status_code=303)


def _region(form) -> str | None:
    return resolve_region(str(form.get("region") or "")[:60])


@page(role="admin")
async def account_list(request: Request) -> Response:
    store = request.app.state.store
    accounts = user_store.list_users(store)
    live = {}
    for s in user_store.live_sessions(store):
        live[s["user_name"]] = live.get(s["user_name"], 0) + 1
    for a in accounts:
        a["region_label"] = region_name(a["region_code"]) or a["region_code"] if a["region_code"] else None
        a["live"] = live.get(a["name"], 0)
    events = [e for e in user_store.auth_events(store, limit=500) if e["event"] in ACCOUNT_EVENTS][:100]
    return render(request, "accounts.html", {
        "accounts": accounts, "events": events, "EVENTS": user_store.EVENT_LABELS,
        "region_choices": region_options(q.agencies(store), None), "min_password": user_store.MIN_PASSWORD,
        "admins": sum(1 for a in accounts if a["role"] == "admin" and not a["disabled"]),
    })  # fmt: skip


@page(role="admin")
async def account_create(request: Request) -> Response:
    store, form = request.app.state.store, request.state.form
    name = str(form.get("name") or "").strip()
    role = text_param(form.get("role"), user_store.ROLES) or ""
    password = str(form.get("password") or "")
    try:
        region = _region(form)
        user_store.create_user(store, name, password, role, region, by=request.state.user["name"],
                               client=client_address(request), name_of=region_name)  # fmt: skip
    except ValueError as exc:
        flash(request, f"未能创建账号：{exc}", "error")
        return _back()
    where = f"，限定地区：{region_name(region) or region}" if region else "，不限地区"
    flash(request, f"已创建账号 {name}（{user_store.ROLES[role]}{where}）。")
    return _back()


@page(role="admin")
async def account_change(request: Request) -> Response:
    """One action on one account: ``update`` (role, scope), ``reset``, ``disable`` or ``enable``."""
    store, form = request.app.state.store, request.state.form
    admin, client = request.state.user["name"], client_address(request)
    account = user_store.user_by_id(store, int(request.path_params["user_id"]))
    if account is None:
        return error_page(request, 404, "没有这个账号。")
    action = str(form.get("action") or "")
    name = account["name"]
    try:
        if action == "update":
            role = text_param(form.get("role"), user_store.ROLES) or ""
            if user_store.update_account(store, account["id"], role=role, region_code=_region(form), by=admin,
                                         client=client, name_of=region_name):  # fmt: skip
                flash(request, f"已修改账号 {name} 的角色或地区；该账号的下一次操作即按新的权限执行。")
            else:
                flash(request, f"账号 {name} 没有变化。", "warn")
        elif action == "reset":
            password = str(form.get("password") or "")
            user_store.reset_password(store, account["id"], password, by=admin, client=client)
            flash(request, f"已重置账号 {name} 的密码，其所有登录会话已结束。")
        elif action in ("disable", "enable"):
            if action == "disable" and account["id"] == request.state.user["id"]:
                user_store.guard_last_admin(store, account["id"], disabled=True)  # the last admin: say why
                raise user_store.AccountError("不能停用自己正在使用的账号。")
            user_store.set_disabled(store, name, action == "disable", by=admin, client=client)
            flash(request, f"已停用账号 {name}，其所有登录会话已立即结束。" if action == "disable"
                  else f"已启用账号 {name}。")  # fmt: skip
        else:
            return error_page(request, 400, "未知的操作。")
    except ValueError as exc:
        flash(request, f"未能修改账号 {name}：{exc}", "error")
    return _back()
