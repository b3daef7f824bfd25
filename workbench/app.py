"""The workbench application: routes, middleware, the store it reads.

``create_app(db_path)`` opens the store, takes the session-signing key from it (generated on
first use, so one per database) and mounts the views.  Every page needs a login; the raw stored
documents are served only to logged-in users, inside a sandboxed iframe, under their own CSP.
"""

from __future__ import annotations

import os
from functools import lru_cache

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from nianbao import labels
from nianbao.storage import users as user_store
from nianbao.storage.store import Store
from nianbao.workbench.views import (
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

SESSION_HOURS = 12


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
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]


def create_app(db_path: str | os.PathLike, *, secure_cookies: bool = False) -> Starlette:
    """The ASGI app over the SQLite file ``db_path`` (created and migrated if needed)."""
    store = Store(db_path)
    secret = user_store.secret(store)
    app = Starlette(
        routes=routes(),
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=secret,
                session_cookie="nianbao_session",
                max_age=SESSION_HOURS * 3600,
                same_site="strict",
                https_only=secure_cookies,
            ),
        ],
    )
    app.state.store = store
    app.state.rule_titles = lru_cache(maxsize=1)(labels.rule_titles)
    return app
