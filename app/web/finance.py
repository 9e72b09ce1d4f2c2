"""Ekonomi: attest payouts, export them in batches, mark batches paid, återkrav, the ledger."""

import hashlib
from collections.abc import Callable, Mapping
from datetime import date, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from app.accounts.models import User
from app.db import utcnow
from app.engine.incidents import run_step
from app.errors import Conflict, InvalidInput, NotAllowed, NotFound
from app.formatting import kronor, local_today
from app.payouts.attest import DUE_WITHIN_DAYS, attest, attest_problems, finance_overview
from app.payouts.batches import batch_file, create_batch, mark_paid, void_batch
from app.payouts.claims import (
    claims,
    external_claims_list,
    internal_claims_sie,
    settle,
    settled_claims,
    split_claims,
)
from app.payouts.models import FILE_KINDS, Payout, PayoutBatch
from app.payouts.payees import is_internal, payee_problems
from app.storage import storage_from_config
from app.web.context import current_user, db, engine, role_required
from app.web.downloads import file_response, stored_bytes
from app.web.listing import render_list
from app.web.other_lists import batches_spec, settled_claims_spec

bp = Blueprint("finance", __name__, url_prefix="/ekonomi")
FINANCE = "ekonomi"
MAX_ROW_ID = 2**31 - 1  # the largest id an INTEGER key holds (as the <int:…> URL converter)


# -- Utbetalningar: attest and batch ----------------------------------------------------------

@bp.route("/")
@role_required(FINANCE)
def overview():
    up_to, errors = _date_or_default(request.args, "forfaller", _default_horizon())
    return render_template("finance/overview.html", **_overview(up_to, errors))


@bp.route("/attestera", methods=["POST"])
@role_required(FINANCE)
def attest_payouts():
    ids = _ticked_payouts()
    return _perform(lambda: attest(db(), current_user(), ids, utcnow()), back=_overview_url(),
                    done=lambda payouts: (ngettext(
                        "%(num)d utbetalning attesterad.", "%(num)d utbetalningar attesterade.",
                        len(payouts)), _overview_url()))


@bp.route("/batcher", methods=["POST"])
@role_required(FINANCE)
def create():
    form = request.form
    everything = form.get("urval") == "alla"
    up_to = _date_or_default(form, "forfaller", _default_horizon())[0]

    def operation():
        dates = _posted(dates=("utbetalningsdag", "batch_forfaller") if everything
                        else ("utbetalningsdag",))
        return create_batch(
            db(), storage_from_config(current_app.config), current_app.config, current_user(),
            execution_date=dates["utbetalningsdag"], now=utcnow(),
            payout_ids=None if everything else _ticked_payouts(),
            up_to=dates.get("batch_forfaller"))

    return _perform(operation, back=_overview_url(),
                    invalid=lambda errors: render_template(
                        "finance/overview.html", **_overview(up_to, errors, kept=form)),
                    done=lambda batch: (ngettext(
                        "Batch %(number)s är skapad: %(num)d utbetalning, %(total)s.",
                        "Batch %(number)s är skapad: %(num)d utbetalningar, %(total)s.",
                        batch.count, number=batch.number, total=kronor(batch.total)),
                                        url_for("finance.batch", batch_id=batch.id)))


def _overview(up_to: date, errors: Mapping | None = None, kept: Mapping | None = None) -> dict:
    payouts = finance_overview(db(), up_to)
    user = current_user()
    return {
        "up_to": up_to, "payouts": payouts, "today": local_today(),
        "tranches": _tranche_counts([p for rows in payouts.values() for p in rows]),
        "problems": attest_problems(db(), user, payouts["planned"]),
        "payee_problems": {p.id: payee_problems(p.application.organisation)
                           for p in payouts["attested"]},
        "errors": errors or {}, "kept": kept or {},
        "scope": kept.get("urval", "valda") if kept else None,
        "chosen": set(kept.getlist("utbetalning")) if kept else set(),
    }


def _ticked_payouts() -> list[int]:
    """The payouts ticked on the page. An id no row can have is no payout (404), never a
    database error (10²⁰ overflows every integer column)."""
    ids = request.form.getlist("utbetalning", type=int)
    if any(not 0 < i <= MAX_ROW_ID for i in ids):
        raise NotFound("Utbetalningen finns inte.")
    return ids


def _tranche_counts(payouts: list[Payout]) -> dict[int, int]:
    """How many tranches each decision has ("delutbetalning 1 av 2")."""
    decisions = {p.decision_id for p in payouts}
    return dict(db().execute(select(Payout.decision_id, func.count())
                             .where(Payout.decision_id.in_(decisions))
                             .group_by(Payout.decision_id)).all())


def _default_horizon() -> date:
    return local_today() + timedelta(days=DUE_WITHIN_DAYS)


def _overview_url() -> str:
    return url_for("finance.overview", forfaller=request.form.get("forfaller") or None)


# -- Batcher ----------------------------------------------------------------------------------

@bp.route("/batcher")
@role_required(FINANCE)
def batches():
    return render_list(batches_spec(), select(PayoutBatch), "finance/batches.html")


@bp.route("/batcher/<int:batch_id>")
@role_required(FINANCE)
def batch(batch_id: int):
    return render_template("finance/batch.html", **_batch_page(batch_id))


@bp.route("/batcher/<int:batch_id>/utbetald", methods=["POST"])
@role_required(FINANCE)
def mark_batch_paid(batch_id: int):
    def operation():
        dates = _posted(dates=("utbetald_datum",), confirm=("bekraftat_utbetald", _(
            "Bekräfta att alla betalningar och överföringar i batchen är genomförda.")))
        return mark_paid(db(), engine(), current_user(), batch_id, dates["utbetald_datum"],
                         utcnow())

    return _batch_action(batch_id, operation, lambda b: _(
        "Batch %(number)s är markerad som utbetald %(date)s. Ärendena har gått vidare.",
        number=b.number, date=b.paid_on.isoformat()))


@bp.route("/batcher/<int:batch_id>/makulera", methods=["POST"])
@role_required(FINANCE)
def void(batch_id: int):
    def operation():
        _posted(confirm=("bekraftat_makulera", _(
            "Bekräfta att filerna inte har skickats till banken eller lästs in i huvudboken.")))
        return void_batch(db(), current_user(), batch_id, request.form.get("skal", ""),
                          utcnow())

    return _batch_action(batch_id, operation, lambda b: _(
        "Batch %(number)s är makulerad. Utbetalningarna kan tas med i en ny batch.",
        number=b.number))


@bp.route("/batcher/<int:batch_id>/filer/<kind>")
@role_required(FINANCE)
def download(batch_id: int, kind: str):
    file = batch_file(db(), batch_id, kind)
    data = stored_bytes(file.storage_key, "batchfil", file.filename)
    if hashlib.sha256(data).hexdigest() != file.sha256:
        current_app.logger.error("batch file %s does not match its checksum", file.id)
        raise Conflict("Den lagrade filen stämmer inte med sin kontrollsumma. Kontakta "
                       "systemförvaltaren.")
    return file_response(data, file.filename, FILE_KINDS[kind][1])


def _batch_page(batch_id: int, errors: Mapping | None = None,
                kept: Mapping | None = None) -> dict:
    batch = db().get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound("Batchen finns inte.")
    return {"batch": batch, "file_kinds": FILE_KINDS, "is_internal": is_internal,
            "paid_by": _user(batch.paid_by_id), "voided_by": _user(batch.voided_by_id),
            "today": local_today(), "errors": errors or {}, "kept": kept or {}}


def _batch_action(batch_id: int, operation: Callable, message: Callable):
    back = url_for("finance.batch", batch_id=batch_id)
    return _perform(operation, back=back, done=lambda batch: (message(batch), back),
                    invalid=lambda errors: render_template(
                        "finance/batch.html", **_batch_page(batch_id, errors, request.form)))


def _user(user_id: int | None) -> User | None:
    return db().get(User, user_id) if user_id is not None else None


# -- Återkrav ---------------------------------------------------------------------------------

@bp.route("/aterkrav")
@role_required(FINANCE)
def repayments():
    return render_list(settled_claims_spec(), settled_claims(), "finance/claims.html",
                       **_claims_page())


@bp.route("/aterkrav/<int:claim_id>/reglera", methods=["POST"])
@role_required(FINANCE)
def settle_claim(claim_id: int):
    back = url_for("finance.repayments")

    def operation():
        dates = _posted(dates=("reglerat_datum",))
        return settle(db(), current_user(), claim_id, dates["reglerat_datum"], utcnow())

    return _perform(operation, back=back, done=lambda claim: (_(
        "Återkravet från %(name)s på %(amount)s är reglerat.",
        name=claim.application.organisation.name, amount=kronor(claim.amount)), back),
        invalid=lambda errors: render_template(
            "finance/claims.html", **_claims_page(errors, claim_id, request.form)))


@bp.route("/aterkrav/sie")
@role_required(FINANCE)
def repayments_sie():
    data = internal_claims_sie(db(), current_app.config, current_user(), local_today())
    return file_response(data, f"Återkrav nämnder {local_today()}.se", FILE_KINDS["sie"][1])


@bp.route("/aterkrav/fakturaunderlag.<any(xlsx, csv):kind>")
@role_required(FINANCE)
def repayments_invoicing(kind: str):
    data = external_claims_list(db(), current_app.config, current_user(), kind)
    return file_response(data, f"Återkrav fakturaunderlag {local_today()}.{kind}",
                         FILE_KINDS[kind][1])


def _claims_page(errors: Mapping | None = None, claim_id: int | None = None,
                 kept: Mapping | None = None) -> dict:
    internal, external = split_claims(claims(db()))
    return {"internal": internal, "external": external, "today": local_today(),
            "errors": errors or {}, "error_claim": claim_id, "kept": kept or {}}


# -- shared -----------------------------------------------------------------------------------

def _perform(operation: Callable, *, back: str, done: Callable,
             invalid: Callable | None = None):
    """Run one operation and commit it. Done: flash and go on; wrong input: the page again
    with the messages by their fields (422); refused or overtaken: back, with the reason."""
    action = {"kind": f"web:{request.endpoint}", "args": request.view_args,
              "actor_id": current_user().id}
    try:
        result = run_step(db(), action, operation)
    except InvalidInput as err:
        if invalid is None:
            raise
        return invalid(err.errors or {"": [err.message]}), 422
    except (Conflict, NotAllowed) as err:
        flash(err.message, "error")
        return redirect(back)
    message, target = done(result)
    flash(message, "success")
    return redirect(target)


def _posted(*, dates: tuple[str, ...] = (), confirm: tuple[str, str] | None = None) -> dict:
    """The posted dates by field name, once they and the confirmation box are checked;
    otherwise InvalidInput with every problem at once."""
    values, errors = {}, {}
    for name in dates:
        values[name], problem = _date_or_default(request.form, name, None)
        if values[name] is None:
            errors[name] = problem.get(name) or [_("Ange ett datum (ÅÅÅÅ-MM-DD).")]
    if confirm and request.form.get(confirm[0]) != "ja":
        errors[confirm[0]] = [confirm[1]]
    if errors:
        raise InvalidInput(_("Formuläret innehåller fel."), errors)
    return values


def _date_or_default(values: Mapping, name: str, default: date | None):
    """The date in values[name] (or the default when empty) and the errors by field."""
    text = (values.get(name) or "").strip()
    if not text:
        return default, {}
    try:
        return date.fromisoformat(text), {}
    except ValueError:
        return default, {name: [_("Skriv datumet som ÅÅÅÅ-MM-DD, t.ex. %(example)s.",
                                  example=local_today().isoformat())]}
