"""The web client: blueprints, templates, error pages, security headers, language."""

from flask import Flask, current_app, g, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from app.formatting import FILTERS
from app.web import (
    account,
    admin,
    applications,
    attachments,
    audit_log,
    auth,
    display,
    errors,
    finance,
    funds,
    letters,
    ops,
    organisations,
    outage,
    outbox,
    overview,
    pages,
    process_map,
    processes,
    reference_lists,
    reports,
    reviews,
    sso,
    sso_groups,
    statuses,
    task_claims,
    tasks,
    uploads,
    users,
)
from app.web.context import close_db, current_user

LANGUAGES = ("sv", "en")
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Attach the web client to the app."""
    # Flask's own defaults hold these keys already (SameSite None), so setdefault would not do.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.url_map.converters["int"] = RowId  # before any route is added
    app.request_class = uploads.UploadRequest  # a too large file is named, not a bare 413
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # tied to the session instead
    csrf.init_app(app)
    ops.init_app(app)
    Babel(app, locale_selector=select_locale, default_locale="sv",
          default_translation_directories="translations")
    for blueprint in (auth.bp, tasks.bp, applications.bp, reviews.bp, reports.bp, outbox.bp,
                      admin.bp, pages.bp, attachments.bp, letters.bp, finance.bp,
                      organisations.bp, funds.bp, processes.bp, process_map.bp, users.bp,
                      account.bp, audit_log.bp, overview.bp, reference_lists.bp, task_claims.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(sso.bp)
    app.register_blueprint(sso_groups.bp)
    sso.init_app(app)
    errors.register(app)
    outage.register(app)
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.filters.update(display.FILTERS)
    app.jinja_env.filters.update(statuses.FILTERS)
    app.context_processor(lambda: {"current_user": current_user(), "languages": LANGUAGES,
                                   "lang": select_locale()})
    app.after_request(security_headers)
    app.teardown_appcontext(close_db)


class RowId(IntegerConverter):
    """`<int:…>` in a URL: a number the database's integer keys can hold. A larger one is no
    page (404), never a database error (PostgreSQL INTEGER ends at 2³¹ − 1)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def select_locale() -> str:
    if "lang" not in g:
        wanted = session.get("lang") or current_app.config["DEFAULT_LOCALE"]
        g.lang = wanted if wanted in LANGUAGES else "sv"
    return g.lang


def security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy",
                       "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                       "base-uri 'none'; object-src 'none'")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
