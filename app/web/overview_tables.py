"""The overview's tables in the reader's language: each with its chart (SVG), a summary in
words, and rows for the page and for XLSX."""

from dataclasses import dataclass, field, replace
from datetime import datetime

from flask_babel import gettext as _
from markupsafe import Markup

from app.effects.facts import option_labels
from app.effects.lists import reference_names
from app.formatting import kronor
from app.grants.models import OUTCOME_NAMES
from app.overview import figures
from app.overview.cache import cached
from app.overview.charts import bar_spec, chart_svg, line_spec
from app.overview.filters import OverviewFilter
from app.web.context import catalogue, db, language
from app.web.statuses import process_name


@dataclass
class Table:
    """One figure: `rows` hold raw values (numbers stay numbers for XLSX)."""

    id: str
    title: str
    summary: str
    headings: list[str]
    rows: list[list]
    money: set[int] = field(default_factory=set)  # columns in kronor
    svg: Markup | None = None


def level_names() -> dict[str, str]:
    return {"delegat": _("Delegat (tjänsteperson)"), "au": _("Arbetsutskottet"),
            "ks": _("Kommunstyrelsen")}


def overview_tables(where: OverviewFilter, now: datetime) -> list[Table]:
    """Every table of the overview, with its chart (kept while nothing changes)."""
    return cached(db(), ("overview", where, language()), lambda: _tables(where, now))


def _tables(where: OverviewFilter, now: datetime) -> list[Table]:
    tables = [_amounts(where, "district", "kommundelar", _("Ansökningar och belopp per kommundel"),
                       _("Kommundel"), reference_names(db(), "kommundel", language())),
              _amounts(where, "prevention_kind", "typ",
                       _("Ansökningar och belopp per typ av brottsförebyggande arbete"),
                       _("Typ"), _labels("prevention_kind")),
              _amounts(where, "measure_type", "atgarder", _("Ansökningar och belopp per åtgärd"),
                       _("Åtgärd"), _labels("measure_types")),
              _funnel(where), _burn(where), _lead_times(where, now), _levels(where)]
    for kind, key, title, heading, names in (
            ("district", "indikatorer-kommundel", _("Indikatorer per kommundel"),
             _("Kommundel"), reference_names(db(), "kommundel", language())),
            ("measure_type", "indikatorer-atgard", _("Indikatorer per åtgärd"), _("Åtgärd"),
             _labels("measure_types")),
            ("plan_item", "indikatorer-atgardsplan", _("Indikatorer per problem i åtgärdsplanen"),
             _("Problem i åtgärdsplanen"), reference_names(db(), "atgardsplan", language()))):
        tables.append(indicator_table(figures.indicators_by(db(), where, kind), key, title,
                                      heading, names))
    return tables


def _labels(meaning: str) -> dict[str, str]:
    return option_labels((form.schema for form in catalogue().forms.values()), meaning,
                         language())


def _amounts(where, kind, key, title, heading, names) -> Table:
    rows = figures.amounts_by(db(), where, kind)
    measures = {"requested": _("Sökt"), "granted": _("Beviljat"), "paid": _("Utbetalt")}
    data = [{"name": names.get(r.value, r.value), "requested": r.requested,
             "granted": r.granted, "paid": r.paid} for r in rows]
    if rows:
        top = max(rows, key=lambda r: (r.applications, r.requested))
        summary = _("%(count)s värden. Flest ansökningar: %(name)s (%(n)s). En ansökan som "
                    "gäller flera räknas under var och en.", count=len(rows),
                    name=names.get(top.value, top.value), n=top.applications)
    else:
        summary = _("Inga ansökningar i urvalet.")
    return Table(key, title, summary, [heading, _("Ansökningar"), _("Sökt (kr)"),
                                       _("Beviljat (kr)"), _("Utbetalt (kr)")],
                 [[d["name"], r.applications, r.requested, r.granted, r.paid]
                  for d, r in zip(data, rows, strict=True)], {2, 3, 4},
                 chart_svg(bar_spec(data, "name", heading, measures, _("Kronor")), key, title,
                           summary) if rows else None)


def _funnel(where) -> Table:
    names = {"submitted": _("Inkomna"), "registered": _("Registrerade"),
             "decided": _("Beslutade"), "granted": _("Beviljade"), "paid": _("Utbetalda"),
             "closed": _("Avslutade")}
    rows = figures.status_funnel(db(), where)
    title = _("Ärendenas väg: hur många som nått varje steg")
    summary = ", ".join(f"{names[stage]} {count}" for stage, count in rows) + "."
    data = [{"stage": names[stage], "count": count} for stage, count in rows]
    return Table("tratt", title, summary, [_("Steg"), _("Ärenden")],
                 [[d["stage"], d["count"]] for d in data], set(),
                 chart_svg(bar_spec(data, "stage", _("Steg"), {"count": _("Ärenden")},
                                    _("Ärenden")), "tratt", title, summary)
                 if rows[0][1] else None)


def _burn(where) -> Table:
    rows = figures.budget_burn(db(), where)
    title = _("Budgeten per omgång över tid")
    measures = {"reserved": _("Reserverat"), "granted": _("Beviljat"), "paid": _("Utbetalt"),
                "remaining": _("Kvar")}
    data = [{"round": r.round_name, "month": r.month, "reserved": r.reserved,
             "granted": r.granted, "paid": r.paid, "remaining": r.remaining} for r in rows]
    latest = {r.round_name: r for r in rows}
    summary = " ".join(_("%(round)s: %(remaining)s kvar av %(budget)s (beviljat %(granted)s, "
                         "utbetalt %(paid)s).", round=r.round_name, remaining=kronor(r.remaining),
                         budget=kronor(r.budget), granted=kronor(r.granted), paid=kronor(r.paid))
                       for r in latest.values()) or _("Inga budgethändelser i urvalet.")
    return Table("budgetforbrukning", title, summary,
                 [_("Omgång"), _("Månad"), _("Budget (kr)"), *[f"{m} (kr)" for m in
                                                               measures.values()]],
                 [[r.round_name, r.month, r.budget, r.reserved, r.granted, r.paid, r.remaining]
                  for r in rows], {2, 3, 4, 5, 6},
                 chart_svg(line_spec(data, "month", _("Månad"), "round", measures, _("Kronor")),
                           "budgetforbrukning", title, summary) if rows else None)


def _lead_times(where, now) -> Table:
    rows = [replace(r, step=process_name(r.step)) for r in figures.lead_times(db(), where, now)]
    title = _("Handläggningstid per steg (dagar) och försenade uppgifter")
    slow = max((r for r in rows if r.p90_days is not None), key=lambda r: r.p90_days,
               default=None)
    overdue = sum(r.overdue for r in rows)
    summary = (_("Längst tid tar %(step)s: hälften klara inom %(p50)s dagar, nio av tio inom "
                 "%(p90)s dagar.", step=slow.step, p50=slow.p50_days, p90=slow.p90_days)
               if slow else _("Inga avslutade uppgifter i urvalet.")) + " " + _(
        "%(n)s uppgifter är försenade.", n=overdue)
    data = [{"step": r.step, "p50": r.p50_days, "p90": r.p90_days} for r in rows
            if r.p50_days is not None]
    return Table("ledtider", title, summary,
                 [_("Steg"), _("Klara"), _("Median (dagar)"), _("90:e percentil (dagar)"),
                  _("Öppna"), _("Försenade")],
                 [[r.step, r.completed, r.p50_days, r.p90_days, r.open, r.overdue]
                  for r in rows], set(),
                 chart_svg(bar_spec(data, "step", _("Steg"), {"p50": _("Median"),
                                                               "p90": _("90:e percentil")},
                                    _("Dagar")), "ledtider", title, summary) if data else None)


def _levels(where) -> Table:
    rows = figures.decisions_by_level(db(), where)
    names, title = level_names(), _("Beslut per delegationsnivå")
    per_level: dict[str, int] = {}
    for level, _outcome, count, _amount in rows:
        per_level[names.get(level, level)] = per_level.get(names.get(level, level), 0) + count
    summary = ", ".join(f"{name}: {count}" for name, count in per_level.items()) + "." \
        if rows else _("Inga beslut i urvalet.")
    data = [{"level": name, "count": count} for name, count in per_level.items()]
    return Table("beslutsnivaer", title, summary,
                 [_("Nivå"), _("Beslut"), _("Antal"), _("Belopp (kr)")],
                 [[names.get(level, level), _(OUTCOME_NAMES.get(outcome, outcome)), count, amount]
                  for level, outcome, count, amount in rows], {3},
                 chart_svg(bar_spec(data, "level", _("Nivå"), {"count": _("Beslut")},
                                    _("Antal beslut")), "beslutsnivaer", title, summary)
                 if rows else None)


def indicator_table(rows, key, title, heading, names) -> Table:
    """Indicators reached, not reached and not yet judged per value of a fact."""
    data = [{"name": names.get(r.value, r.value), "reached": r.reached,
             "not_reached": r.not_reached,
             "open": r.indicators - r.reached - r.not_reached} for r in rows]
    reached, total = sum(r.reached for r in rows), sum(r.indicators for r in rows)
    summary = _("%(reached)s av %(total)s indikatorer har nått målet.", reached=reached,
                total=total) if rows else _("Inga indikatorer i urvalet.")
    measures = {"reached": _("Mål nått"), "not_reached": _("Mål inte nått"),
                "open": _("Ej bedömd eller ej rapporterad")}
    return Table(key, title, summary,
                 [heading, _("Indikatorer"), _("Rapporterade"), *measures.values()],
                 [[d["name"], r.indicators, r.reported, r.reached, r.not_reached, d["open"]]
                  for d, r in zip(data, rows, strict=True)], set(),
                 chart_svg(bar_spec(data, "name", heading, measures, _("Indikatorer")), key,
                           title, summary) if rows else None)
