"""Reports: the fund ledger per round and the delegated decisions of a period."""

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.db import utcnow
from app.formatting import local_today
from app.grants.budget import ledgers_for
from app.grants.models import Round
from app.grants.reports import delegated_decisions, delegated_decisions_csv
from app.payouts.reconcile import last_reconciliations, reconcile_rounds
from app.web.context import current_user, db, role_required

bp = Blueprint("reports", __name__)
# Who may run the full reconciliation from the budget page.
RECONCILERS = ("ekonomi", "admin")


@bp.route("/budget")
@role_required("handlaggare", "beslutsfattare", "ekonomi", "admin")
def ledger():
    rounds = db().scalars(select(Round).order_by(Round.opens_on.desc())).all()
    ids = [r.id for r in rounds]
    ledgers, checks = ledgers_for(db(), ids), last_reconciliations(db(), ids)
    return render_template("reports/ledger.html",
                           rows=[(r, ledgers[r.id], checks.get(r.id)) for r in rounds],
                           can_reconcile=current_user().has_any_role(*RECONCILERS))


@bp.route("/budget/avstamning", methods=["POST"])
@role_required(*RECONCILERS)
def reconcile():
    reconcile_rounds(db(), actor_id=current_user().id, now=utcnow())
    db().commit()
    flash(_("Huvudboken är avstämd."), "success")
    return redirect(url_for("reports.ledger"))


@bp.route("/rapporter/delegationsbeslut")
@role_required("handlaggare", "beslutsfattare", "admin")
def delegation_report():
    today = local_today()
    start = _date_arg("fran", today.replace(day=1))
    end = _date_arg("till", today)
    rows = delegated_decisions(db(), start, end)
    if request.args.get("format") == "csv":
        body = "\ufeff" + delegated_decisions_csv(rows)  # BOM: Excel reads UTF-8
        name = f"delegationsbeslut-{start}-{end}.csv"
        return Response(body, mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return render_template("reports/delegation.html", rows=rows, start=start, end=end,
                           error=request.args.get("fran") and start is None)


# Dates a report can ask for; anything else (0001-01-01, 9999-12-31) counts as not given.
EARLIEST, LATEST = date(2000, 1, 1), date(2199, 12, 31)


def _date_arg(name: str, default: date) -> date:
    try:
        value = date.fromisoformat(request.args.get(name, "")) if request.args.get(name) \
            else default
    except ValueError:
        return default
    return value if EARLIEST <= value <= LATEST else default
