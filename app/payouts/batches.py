"""Export batches: attested payouts go out exactly once, in numbered batches of stored files.

A payout is in at most one live batch. Two guards hold that: the batch takes its payouts
with one conditional UPDATE (status attested → batched; a concurrent batch that took one
first makes the row count short and this batch rolls back), and the partial unique index
on batch_items(payout_id) WHERE live refuses a second live membership in the database.
"""

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import record_event
from app.engine.instances import Engine
from app.errors import Conflict, InvalidInput, NotFound
from app.formatting import STOCKHOLM, kronor
from app.forms.validation import free_text_problem
from app.grants import budget
from app.grants.declarations import declarations_of_instance
from app.grants.diarium import next_diarienummer
from app.payouts import pain001, sie, summary
from app.payouts.attest import require_finance
from app.payouts.export import payout_lines
from app.payouts.lines import ExportBatch, ExportSettings
from app.payouts.models import BATCH_STATES, FILE_KINDS, BatchFile, BatchItem, Payout, PayoutBatch
from app.payouts.payees import payee_problems
from app.storage import FileStorage, put_in_transaction

BATCH_PATTERN = "{prefix}-{year}-{seq:04d}"


def batchable(session: Session, *, payout_ids: Iterable[int] | None = None,
              up_to: date | None = None) -> list[Payout]:
    """Attested payouts not in a batch: the chosen ones, or all due up to a date."""
    query = select(Payout).where(Payout.status == "attested").order_by(Payout.id)
    if payout_ids is not None:
        query = query.where(Payout.id.in_(sorted(set(payout_ids))))
    if up_to is not None:
        query = query.where(Payout.due_on <= up_to)
    return list(session.scalars(query))


def create_batch(session: Session, storage: FileStorage, config: Mapping, user: User, *,
                 execution_date: date, now: datetime, payout_ids: Iterable[int] | None = None,
                 up_to: date | None = None) -> PayoutBatch:
    """Take the attested payouts into a new numbered batch and store its files."""
    require_finance(user)
    ids = None if payout_ids is None else sorted(set(payout_ids))
    if ids is not None and not ids:
        raise InvalidInput("Välj utbetalningar.", {"utbetalningar": [
            "Välj minst en attesterad utbetalning."]})
    if execution_date < now.astimezone(STOCKHOLM).date():
        raise InvalidInput("Utbetalningsdagen har passerat.", {"utbetalningsdag": [
            "Utbetalningsdagen kan inte ligga bakåt i tiden."]})
    payouts = batchable(session, payout_ids=ids, up_to=up_to)
    if ids is not None and len(payouts) != len(ids):
        raise Conflict("Någon av utbetalningarna är inte längre attesterad eller finns redan "
                       "i en annan batch. Ladda om sidan och välj igen.")
    if not payouts:
        raise InvalidInput("Inget att exportera.", {"utbetalningar": [
            "Det finns inga attesterade utbetalningar att ta med."]})
    problems = sorted({p for payout in payouts
                       for p in payee_problems(payout.application.organisation)})
    if problems:
        raise InvalidInput("Utbetalningsuppgifter saknas.", {"utbetalningar": problems})
    taken = session.execute(
        update(Payout).where(Payout.id.in_([p.id for p in payouts]),
                             Payout.status == "attested")
        .values(status="batched").execution_options(synchronize_session=False)).rowcount
    if taken != len(payouts):
        raise Conflict("En annan batch tog några av utbetalningarna samtidigt. Ladda om sidan "
                       "och försök igen.")
    year = now.astimezone(STOCKHOLM).year
    batch = PayoutBatch(
        number=next_diarienummer(session, config["FINANCE_BATCH_PREFIX"], year, BATCH_PATTERN),
        status="exported", execution_date=execution_date, created_at=now,
        created_by_id=user.id, total=sum((p.amount for p in payouts), 0), count=len(payouts))
    session.add(batch)
    session.flush()
    session.add_all(BatchItem(batch_id=batch.id, payout_id=p.id, amount=p.amount, live=True)
                    for p in payouts)
    session.flush()
    for payout in payouts:
        session.expire(payout, ["status"])  # set by the UPDATE above
    record = ExportBatch(number=batch.number, created_at=now, created_by=user.username,
                         execution_date=execution_date, lines=payout_lines(payouts, config))
    for kind, data in export_files(record, ExportSettings.from_config(config)).items():
        _store(session, storage, batch, kind, data)
    record_event(session, "batch_created",
                 f"Utbetalningsbatch {batch.number}: {batch.count} utbetalningar, "
                 f"{kronor(batch.total)}", actor_id=user.id,
                 details={"batch": batch.id, "payouts": [p.id for p in payouts]})
    return batch


def export_files(record: ExportBatch, settings: ExportSettings) -> dict[str, bytes]:
    """Every file of a batch: SIE for internal transfers, pain.001 for payments, summaries."""
    files = {}
    if record.internal:
        files["sie"] = sie.write_payouts(record, settings)
    if record.external:
        files["pain001"] = pain001.write(record, settings)
    files["xlsx"] = summary.write_xlsx(record, settings)
    files["csv"] = summary.write_csv(record, settings)
    return files


def void_batch(session: Session, user: User, batch_id: int, reason: str,
               now: datetime) -> PayoutBatch:
    """Makulera: the batch stays on record; its payouts are free for a new batch."""
    require_finance(user)
    if len(reason.strip()) < 5:
        raise InvalidInput("Ange skälet.", {"skal": ["Skriv varför batchen makuleras."]})
    problem = free_text_problem(reason.strip(), 2000)
    if problem:
        raise InvalidInput(problem, {"skal": [problem]})
    batch = _locked_batch(session, batch_id)
    if batch.status != "exported":
        raise Conflict(f"Batch {batch.number} är redan {BATCH_STATES[batch.status].lower()}.")
    batch.status, batch.voided_at, batch.voided_by_id = "voided", now, user.id
    batch.void_reason = reason.strip()
    # A live batch's payouts change only through it, and the batch row is locked.
    for item in batch.items:
        item.live = False
        item.payout.status = "attested"
    ids = [item.payout_id for item in batch.items]
    record_event(session, "batch_voided", f"Utbetalningsbatch {batch.number} makulerad: "
                 f"{reason.strip()}", actor_id=user.id,
                 details={"batch": batch.id, "payouts": ids})
    return batch


def mark_paid(session: Session, engine: Engine, user: User, batch_id: int, paid_on: date,
              now: datetime) -> PayoutBatch:
    """The bank (or the ledger) has carried out the batch: book every payout as paid and
    tell each case's process, which moves on."""
    require_finance(user)
    batch = _locked_batch(session, batch_id)
    if batch.status != "exported":
        raise Conflict(f"Batch {batch.number} är redan {BATCH_STATES[batch.status].lower()}.")
    if paid_on > now.astimezone(STOCKHOLM).date():
        raise InvalidInput("Datumet ligger i framtiden.", {"utbetald_datum": [
            "Ange dagen då pengarna betalades ut (i dag eller tidigare)."]})
    exported_on = batch.created_at.astimezone(STOCKHOLM).date()
    if paid_on < exported_on:
        raise InvalidInput("Datumet ligger före exporten.", {"utbetald_datum": [
            f"Pengarna kan inte ha betalats ut före den {exported_on.isoformat()}, då batchen "
            "skapades."]})
    batch.status, batch.paid_on, batch.paid_at, batch.paid_by_id = "paid", paid_on, now, user.id
    for item in batch.items:
        payout = item.payout
        payout.status, payout.paid_on = "paid", paid_on
        budget.record_payout(session, payout.application, payout.amount, actor_id=user.id,
                             note=f"{batch.number} {payout.reference}")
        _tell_process(session, engine, user, payout, batch)
    record_event(session, "batch_paid", f"Utbetalningsbatch {batch.number} utbetald {paid_on}",
                 actor_id=user.id, details={"batch": batch.id})
    return batch


def _tell_process(session: Session, engine: Engine, user: User, payout: Payout,
                  batch: PayoutBatch) -> None:
    instance_id = payout.application.process_instance_id
    payload = {"utbetalning": payout.tranche, "belopp": str(payout.amount),
               "utbetald": batch.paid_on.isoformat(), "batch": batch.number}
    message = declarations_of_instance(session, payout.application.instance).message(
        "payout_done")
    try:
        if message is None:  # the process does not wait for payouts
            raise Conflict("Processen väntar inte på utbetalningar.")
        engine.send_message(session, instance_id, message, payload, actor_id=user.id)
    except Conflict:
        # The process is not waiting for this tranche (a later one, or the case has ended):
        # the payment is still recorded on the case.
        record_event(session, "payout_paid",
                     f"Utbetalning {payout.tranche} utbetald: {kronor(payout.amount)} "
                     f"({batch.number})", actor_id=user.id, instance_id=instance_id,
                     details=payload)


def batch_file(session: Session, batch_id: int, kind: str) -> BatchFile:
    found = session.scalars(select(BatchFile).where(BatchFile.batch_id == batch_id,
                                                    BatchFile.kind == kind)).first()
    if found is None:
        raise NotFound("Filen finns inte.")
    return found


def _locked_batch(session: Session, batch_id: int) -> PayoutBatch:
    batch = session.scalars(select(PayoutBatch).where(PayoutBatch.id == batch_id)
                            .with_for_update(of=PayoutBatch)).first()
    if batch is None:
        raise NotFound("Batchen finns inte.")
    return batch


def _store(session: Session, storage: FileStorage, batch: PayoutBatch, kind: str,
           data: bytes) -> BatchFile:
    key = put_in_transaction(session, storage, data)
    extension = FILE_KINDS[kind][2]
    suffix = " sammanställning" if kind in ("xlsx", "csv") else ""
    file = BatchFile(batch_id=batch.id, kind=kind, filename=f"{batch.number}{suffix}.{extension}",
                     storage_key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    session.add(file)
    session.flush()
    return file
