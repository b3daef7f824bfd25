"""Login and logout."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from nianbao.storage import users as user_store
from nianbao.workbench.web import csrf_ok, current_user, error_page, flash, page, render, safe_next


async def login(request: Request) -> Response:
    """GET: the form; POST: check CSRF and password, start a fresh session."""
    nxt = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        if current_user(request):
            return RedirectResponse(nxt, status_code=303)
        return render(request, "login.html", {"next": nxt, "error": None})
    form = await request.form()
    if not csrf_ok(request, form.get("csrf_token")):
        return error_page(request, 403, "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。")
    name = str(form.get("username") or "")
    user = user_store.authenticate(request.app.state.store, name, str(form.get("password") or ""))
    nxt = safe_next(str(form.get("next") or ""), nxt)
    if user is None:
        return render(request, "login.html", {"next": nxt, "error": "用户名或密码错误。", "name": name},
                      status=401)
    request.session.clear()  # new session on login (no fixation)
    request.session["user"] = user["name"]
    flash(request, f"欢迎，{user['name']}。")
    return RedirectResponse(nxt, status_code=303)


@page()
async def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
