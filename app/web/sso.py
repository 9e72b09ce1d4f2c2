"""Single sign-on with OpenID Connect: send the browser to the provider, take it back
(the callback is reachable anonymously by design), and log out there too."""

from dataclasses import asdict

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from app.accounts.oidc import (
    LoginRefused,
    OidcSettings,
    PendingLogin,
    discover,
    finish_login,
    start_login,
)
from app.accounts.sso_users import sign_in_user
from app.audit import record_event
from app.db import utcnow
from app.web.auth import _safe_next, begin_session, client_address
from app.web.context import db

bp = Blueprint("sso", __name__, url_prefix="/logga-in/sso")


def init_app(app) -> None:
    """Build the OIDC settings once (None: single sign-on is off)."""
    app.extensions["oidc"] = OidcSettings.from_config(app.config)


def oidc_settings() -> OidcSettings | None:
    """Return the provider settings, or None if single sign-on is not configured."""
    return current_app.extensions.get("oidc")


@bp.route("")
def start():
    settings = oidc_settings()
    if settings is None:
        abort(404)
    try:
        url, pending = start_login(settings, discover(settings),
                                   url_for("sso.callback", _external=True))
    except LoginRefused as err:
        return _refused(err)
    session["oidc_pending"] = asdict(pending)
    session["oidc_next"] = _safe_next(request.args.get("next")) or ""
    return redirect(url)


@bp.route("/klar")
def callback():
    settings = oidc_settings()
    if settings is None:
        abort(404)
    pending = session.pop("oidc_pending", None)
    target = session.pop("oidc_next", "") or url_for("tasks.inbox")
    try:
        if not isinstance(pending, dict) or set(pending) != set(PendingLogin.__annotations__):
            raise LoginRefused("Ingen inloggning pågår (eller den har redan avslutats). "
                               "Börja om inloggningen.")
        metadata = discover(settings)
        claims, id_token = finish_login(settings, metadata, PendingLogin(**pending),
                                        request.args.to_dict())
        now = utcnow()
        user = sign_in_user(db(), settings.issuer, claims, groups_claim=settings.groups_claim,
                            username_claim=settings.username_claim, now=now)
    except LoginRefused as err:
        db().rollback()
        return _refused(err)
    begin_session(user, now)  # commits the user, the mapping and the login together
    session["oidc_id_token"] = id_token
    session["oidc_end_session"] = metadata.get("end_session_endpoint") or ""
    return redirect(target)


def _refused(err: LoginRefused):
    current_app.logger.warning("SSO log-in refused: %s", err.message)
    record_event(db(), "sso_login_refused", "Inloggning via SSO nekad",
                 details={"reason": err.message[:500], "ip": client_address()})
    db().commit()
    return render_template("auth/sso_refused.html", message=err.message), 403
