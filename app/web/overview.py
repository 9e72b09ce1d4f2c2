"""Översikt: the fund dashboard (staff and admin) and the yearly effect report."""

from datetime import date

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.db import utcnow
from app.effects.report import effect_report, effect_report_pdf, effect_report_xlsx
from app.errors import NotFound
from app.formatting import local_today
from app.grants.models import Fund, Round
from app.overview.filters import OverviewFilter
from app.spreadsheet import xlsx_tables
from app.web.context import catalogue, db, role_required
from app.web.overview_tables import overview_tables

bp = Blueprint("overview", __name__, url_prefix="/oversikt")
ROLES = ("handlaggare", "beslutsfattare", "ekonomi", "admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EARLIEST, LATEST = date(2000, 1, 1), date(2199, 12, 31)


@bp.route("")
@role_required(*ROLES)
def index():
    where, errors = read_filter()
    return _page(where, errors)


def _page(where: OverviewFilter, errors: dict):
    tables = overview_tables(where, utcnow())
    funds = db().scalars(select(Fund).order_by(Fund.name)).all()
    rounds = db().scalars(select(Round).order_by(Round.opens_on.desc())).all()
    return render_template("overview/index.html", tables=tables, where=where, errors=errors,
                           funds=funds, rounds=rounds, year=_year() or local_today().year,
                           args=request.args.to_dict()), 422 if errors else 200


@bp.route("/<table_id>.xlsx")
@role_required(*ROLES)
def table_xlsx(table_id: str):
    where, _errors = read_filter()
    tables = [t for t in overview_tables(where, utcnow()) if table_id in (t.id, "alla")]
    if not tables:
        raise NotFound("Tabellen finns inte.")
    body = xlsx_tables(((t.id, t.title, t.headings, t.rows) for t in tables),
                       _("Översikt"), utcnow())
    return _download(body, XLSX, f"oversikt-{table_id}.xlsx")


@bp.route("/effektrapport.<any(pdf, xlsx):kind>")
@role_required(*ROLES)
def effect(kind: str):
    where, errors = read_filter()
    year = _year()
    if where.fund_id is None or db().get(Fund, where.fund_id) is None:
        errors.setdefault("rapport-fond", []).append(_("Välj fonden rapporten gäller."))
    if year is None:
        errors.setdefault("ar", []).append(_("Ange året som ett årtal mellan 2000 och 2199."))
    if errors:
        return _page(where, errors)
    schemas = [form.schema for form in catalogue().forms.values()]
    report = effect_report(db(), where.fund_id, year, schemas, current_app.config, utcnow())
    name = f"effektrapport-{year}"
    if kind == "pdf":
        return _download(effect_report_pdf(report), "application/pdf", f"{name}.pdf")
    return _download(effect_report_xlsx(report, utcnow()), XLSX, f"{name}.xlsx")


def read_filter() -> tuple[OverviewFilter, dict[str, list[str]]]:
    """The filter from the query string; a bad value is named and left out."""
    errors: dict[str, list[str]] = {}
    fund_id = _whole("fond", errors, _("Välj en fond i listan."))
    round_id = _whole("omgang", errors, _("Välj en omgång i listan."))
    start = _date("fran", errors, _("Från och med"))
    end = _date("till", errors, _("Till och med"))
    if start and end and start > end:
        errors.setdefault("till", []).append(_("Till och med får inte vara före från och med."))
        end = None
    return OverviewFilter(fund_id, round_id, start, end), errors


def _whole(name: str, errors: dict, message: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 2**31:
        errors.setdefault(name, []).append(message)
        return None
    return int(value)


def _date(name: str, errors: dict, label: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or not EARLIEST <= day <= LATEST:
        errors.setdefault(name, []).append(
            _("%(label)s: ange ett datum mellan 2000 och 2199 i formen ÅÅÅÅ-MM-DD.", label=label))
        return None
    return day


def _year() -> int | None:
    value = request.args.get("ar", "").strip()
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2199 else None


def _download(body: bytes, mimetype: str, name: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
