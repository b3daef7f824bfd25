"""The workbench application: routes, middleware, the store it reads.

``create_app(db_path)`` opens the store, reads the session-signing key (``NIANBAO_SECRET_KEY`` or
the key file beside the database, never the database itself) and mounts the views behind the
security middleware (server-side sessions, POST origin check, HTTPS headers).  Every page needs
a login; the raw stored documents are served only to logged-in users, inside a sandboxed iframe,
under their own CSP.
"""

from __future__ import annotations

import os
from dataclasses import replace
from functools import lru_cache

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from nianbao import labels
from nianbao.storage.store import Store
from nianbao.workbench.sessions import SecuritySettings, WorkbenchSecurity, session_key
from nianbao.workbench.views import (
    accounts,
    agencies,
    auth,
    calendar,
    exports,
    findings,
    notices,
    overview,
    reports,
    runs,
    scores,
)
from nianbao.workbench.web import EXCEPTION_HANDLERS, HERE, SecurityHeaders

SESSION_HOURS = 12  # default absolute session lifetime (SecuritySettings.absolute_seconds)


def routes() -> list:
    return [
        Route("/", overview.overview, name="overview"),
        Route("/agencies", agencies.agency_list, name="agencies"),
        Route("/agencies/{agency_id:int}", agencies.agency_detail, name="agency"),
        Route("/reports/{report_id:int}", reports.report_detail, name="report"),
        Route("/documents/{version_id:int}/view", reports.document_view, name="document_view"),
        Route("/documents/{version_id:int}/download", reports.document_download, name="document_download"),
        Route("/documents/{version_id:int}/pages", reports.document_pages, name="document_pages"),
        Route("/documents/{version_id:int}/pages/{n:int}.png", reports.document_page_image, name="document_page"),
        Route("/findings", findings.finding_list, name="findings"),
        Route("/review", findings.review, methods=["POST"], name="review"),
        Route("/runs", runs.run_list, name="runs"),
        Route("/runs/{run_id:int}", runs.run_detail, name="run"),
        Route("/export", exports.export_page, name="export"),
        Route("/notice.{fmt:str}", notices.notice_file, name="notice_file"),
        Route("/scores", scores.score_page, name="scores"),
        Route("/calendar", calendar.calendar_page, name="calendar"),
        Route("/scores.xlsx", scores.score_export, name="score_export"),
        Route("/export/noncompliant.{fmt:str}", exports.export_file, name="export_file"),
        Route("/login", auth.login, methods=["GET", "POST"], name="login"),
        Route("/logout", auth.logout, methods=["POST"], name="logout"),
        Route("/account/password", auth.change_password, methods=["GET", "POST"], name="password"),
        Route("/security", auth.security_log, name="security"),
        Route("/admin/accounts", accounts.account_list, name="accounts"),
        Route("/admin/accounts/new", accounts.account_create, methods=["POST"], name="account_create"),
        Route("/admin/accounts/{user_id:int}", accounts.account_change, methods=["POST"], name="account_change"),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]


def create_app(db_path: str | os.PathLike, *, secure_cookies: bool = False,
               settings: SecuritySettings | None = None) -> Starlette:  # fmt: skip
    """The ASGI app over the SQLite file ``db_path`` (created and migrated if needed).

    ``settings`` default to :meth:`SecuritySettings.from_env`; ``secure_cookies`` forces the
    ``Secure`` cookie flag and HSTS.
    """
    settings = settings or SecuritySettings.from_env()
    if secure_cookies:
        settings = replace(settings, secure_cookies=True)
    store = Store(db_path)
    try:
        key = session_key(db_path)
    except BaseException:
        store.close()
        raise
    app = Starlette(
        routes=routes(),
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(WorkbenchSecurity, store=store, key=key, settings=settings),
        ],
    )
    app.state.store = store
    app.state.security = settings
    app.state.rule_titles = lru_cache(maxsize=1)(labels.rule_titles)
    return app
