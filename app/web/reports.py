"""Reports: the fund ledger per round and the delegated decisions of a period."""

from datetime import date

from flask import Blueprint, render_template, request
from sqlalchemy import select

from app.formatting import local_today
from app.grants.budget import ledger_for
from app.grants.models import Round
from app.grants.reports import delegated_decisions
from app.payouts.reconcile import reconcile
from app.web.context import db, role_required
from app.web.listing import render_list
from app.web.other_lists import delegation_spec

bp = Blueprint("reports", __name__)


@bp.route("/budget")
@role_required("handlaggare", "beslutsfattare", "ekonomi", "admin")
def ledger():
    rounds = db().scalars(select(Round).order_by(Round.opens_on.desc())).all()
    return render_template("reports/ledger.html",
                           rows=[(r, ledger_for(db(), r.id), reconcile(db(), r.id))
                                 for r in rounds])


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
