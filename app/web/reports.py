"""Reports: the fund ledger per round and the delegated decisions of a period."""

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.db import utcnow
from app.formatting import local_today
from app.grants.budget import ledgers_for
from app.grants.models import Round
from app.grants.reports import delegated_decisions
from app.payouts.reconcile import last_reconciliations, reconcile_rounds
from app.web.context import current_user, db, role_required
from app.web.listing import render_list
from app.web.other_lists import delegation_spec

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
    return render_list(delegation_spec(start, end), delegated_decisions(start, end),
                       "reports/delegation.html", start=start, end=end)


# Dates a report can ask for; anything else (0001-01-01, 9999-12-31) counts as not given.
EARLIEST, LATEST = date(2000, 1, 1), date(2199, 12, 31)


def _date_arg(name: str, default: date) -> date:
    try:
        value = date.fromisoformat(request.args.get(name, "")) if request.args.get(name) \
            else default
    except ValueError:
        return default
    return value if EARLIEST <= value <= LATEST else default
