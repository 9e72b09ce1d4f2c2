"""The yearly effect report of a fund for the committee: money by area and kind, the measures
carried out, indicators reached or not, with the charts — as PDF/A through the letters
pipeline (app.letters.render) and as XLSX. Swedish, as the committee's documents are."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import DEFAULTS
from app.effects.facts import option_labels
from app.effects.lists import reference_names
from app.errors import NotFound
from app.formatting import kronor
from app.grants.models import Application, Fund, Round
from app.letters.render import render_document
from app.overview import figures
from app.overview.charts import bar_spec, chart_svg
from app.overview.filters import OverviewFilter
from app.spreadsheet import xlsx_tables

TEMPLATE = "effektrapport.html"
# Fact kind → (heading, the declared meaning whose options name its values).
AREAS = {"district": "Kommundel", "prevention_kind": "Typ av brottsförebyggande arbete",
         "measure_type": "Åtgärd", "plan_item": "Problem i åtgärdsplanen"}
MEANINGS = {"prevention_kind": "prevention_kind", "measure_type": "measure_types"}


@dataclass(frozen=True)
class Section:
    """One table of the report (and its chart)."""

    key: str
    title: str
    summary: str
    headings: list[str]
    rows: list[list]
    chart: str = ""


def effect_report(session: Session, fund_id: int, year: int, schemas: Iterable[Mapping],
                  config: Mapping, now: datetime) -> dict:
    """The report's content: the fund's cases submitted during the year."""
    fund = session.get(Fund, fund_id)
    if fund is None:
        raise NotFound("Fonden finns inte.")
    where = OverviewFilter(fund_id=fund_id, start=date(year, 1, 1), end=date(year, 12, 31))
    names = _names(session, list(schemas))
    total = figures.totals(session, where)
    sections = [_money_section(session, where, kind, names[kind]) for kind in AREAS]
    sections += [_indicator_section(session, where, kind, names[kind])
                 for kind in ("district", "measure_type", "plan_item")]
    return {"fund": fund.name, "year": year, "total": total, "sections": sections,
            "measures": carried_out(session, where),
            "organ": fund.organ or config.get("LETTER_NAMND", DEFAULTS["LETTER_NAMND"]),
            "kommun": config.get("LETTER_KOMMUN", DEFAULTS["LETTER_KOMMUN"]),
            "address": config.get("LETTER_ADDRESS", DEFAULTS["LETTER_ADDRESS"]),
            "made_on": now.date()}


def _names(session: Session, schemas: list[Mapping]) -> dict[str, dict[str, str]]:
    return {"district": reference_names(session, "kommundel"),
            "plan_item": reference_names(session, "atgardsplan"),
            **{kind: option_labels(schemas, meaning) for kind, meaning in MEANINGS.items()}}


def _money_section(session, where, kind, names) -> Section:
    rows = figures.amounts_by(session, where, kind)
    title = f"Pengar per {AREAS[kind].lower()}"
    data = [{"name": names.get(r.value, r.value), "granted": r.granted, "paid": r.paid}
            for r in rows]
    summary = (f"Beviljat totalt {kronor(sum(r.granted for r in rows))} i {len(rows)} "
               f"{'värde' if len(rows) == 1 else 'värden'}; ett ärende som gäller flera räknas "
               f"under vart och ett." if rows else "Inga ärenden.")
    chart = chart_svg(bar_spec(data, "name", AREAS[kind], {"granted": "Beviljat",
                                                           "paid": "Utbetalt"}, "Kronor", 420),
                      f"pengar-{kind}", title, summary) if rows else ""
    return Section(f"pengar-{kind}", title, summary,
                   [AREAS[kind], "Ärenden", "Sökt (kr)", "Beviljat (kr)", "Utbetalt (kr)"],
                   [[d["name"], r.applications, r.requested, r.granted, r.paid]
                    for d, r in zip(data, rows, strict=True)], chart)


def _indicator_section(session, where, kind, names) -> Section:
    rows = figures.indicators_by(session, where, kind)
    title = f"Indikatorer per {AREAS[kind].lower()}"
    reached, total = sum(r.reached for r in rows), sum(r.indicators for r in rows)
    summary = f"{reached} av {total} indikatorer har nått målet." if rows else \
        "Inga indikatorer."
    data = [{"name": names.get(r.value, r.value), "reached": r.reached,
             "not_reached": r.not_reached} for r in rows]
    chart = chart_svg(bar_spec(data, "name", AREAS[kind], {"reached": "Mål nått",
                                                           "not_reached": "Mål inte nått"},
                               "Indikatorer", 420),
                      f"indikatorer-{kind}", title, summary) if rows else ""
    return Section(f"indikatorer-{kind}", title, summary,
                   [AREAS[kind], "Indikatorer", "Rapporterade", "Mål nått", "Mål inte nått",
                    "Ej bedömda"],
                   [[d["name"], r.indicators, r.reported, r.reached, r.not_reached,
                     r.indicators - r.reached - r.not_reached]
                    for d, r in zip(data, rows, strict=True)], chart)


@dataclass(frozen=True)
class Measure:
    diarienummer: str
    organisation: str
    title: str
    granted: Decimal
    status: str
    closed: bool


def carried_out(session: Session, where: OverviewFilter) -> list[Measure]:
    """The granted measures among the cases, by diarienummer."""
    query = (select(Application).join(Round, Round.id == Application.round_id)
             .where(where.cases(), Application.granted_amount > 0)
             .order_by(Application.diarienummer))
    return [Measure(a.diarienummer or "", a.organisation.name, a.title,
                    a.granted_amount, a.status, a.closed_at is not None)
            for a in session.scalars(query)]


def effect_report_pdf(report: dict) -> bytes:
    """The report as PDF/A-3u (the letters' stylesheet, fonts and fetcher)."""
    return render_document(TEMPLATE, report)


def effect_report_xlsx(report: dict, now: datetime) -> bytes:
    """The report's tables as a workbook: the measures, then one sheet per table."""
    measures = ("Insatser", f"Insatser som beviljats {report['year']}",
                ["Diarienummer", "Sökande", "Insats", "Beviljat (kr)", "Status"],
                [[m.diarienummer, m.organisation, m.title, m.granted, m.status]
                 for m in report["measures"]])
    return xlsx_tables([measures, *((s.key, s.title, s.headings, s.rows)
                                    for s in report["sections"])],
                       f"Effektrapport {report['fund']} {report['year']}", now)
