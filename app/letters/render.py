"""Render a beslutsbrev: Jinja template per outcome → HTML → WeasyPrint PDF/A-3u.

Speed: a letter is laid out with a FontConfiguration and a stylesheet (letter.css, with its two
@font-face fonts) that are made once and reused, so a letter does not rebuild the font map, read
and register the fonts, or parse the CSS again. WeasyPrint does not promise that a
FontConfiguration (a Pango font map) can be used by two threads at once, so each render borrows
one from a pool (one per concurrent render, kept for the next); the pool starts over when
letter.css or draft.css changes.
"""

import queue
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import object_session
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from app.config import DEFAULTS
from app.formatting import STOCKHOLM, kronor, long_date, to_local_date
from app.grants.declarations import ProcessDeclarations, declarations_of_instance
from app.grants.funds import texts_folder, with_fund_settings
from app.grants.models import OUTCOME_CODES
from app.letters.fetcher import LOGO_URL, SCHEME, LetterAssetFetcher

TEMPLATES = Path(__file__).parent / "templates"
STYLESHEETS = (TEMPLATES / "letter.css", TEMPLATES / "draft.css")
BASE_URL = f"{SCHEME}:"
PDF_VARIANT = "pdf/a-3u"
OUTPUT_INTENT = "--srgb"  # letter.css @color-profile
# Closed on formal grounds by the officer: no amount, terms or payouts in the letter.
FORMAL_OUTCOMES = ("avvisning", "avskrivning")
LETTER_KEYS = ("LETTER_KOMMUN", "LETTER_NAMND", "LETTER_ADDRESS", "LETTER_CONTACT",
               "LETTER_APPEAL_TEXT", "LETTER_LOGO")
POOL_SIZE = 8  # idle renderers kept; more concurrent renders make (and then drop) their own
# A letter's template is named after the outcome's meaning (app/letters/templates/<meaning>.html
# or the process's own processes/<process id>/letters/<meaning>.html).
MEANINGS = tuple(OUTCOME_CODES)
# A decision's stored outcome code → its meaning (the inverse of OUTCOME_CODES).
STORED_OUTCOMES = {code: meaning for meaning, code in OUTCOME_CODES.items()}


def _long_date(value) -> str:
    """`14 mars 2027` from a date, a datetime (Stockholm) or an ISO string; '' if empty."""
    if value in (None, ""):
        return ""
    return long_date(to_local_date(value))


_environments: dict[str, Environment] = {}


def letter_environment(folder: str = "") -> Environment:
    """The templates of one process: its own folder first (a template there replaces the
    default of the same name, `base.html` and `_terms.html` included), then the defaults.
    Autoescaped everywhere: applicant text can never become markup. Jinja's loaders refuse
    names that leave their folder (`..`), so a template reaches nothing else on disk."""
    environment = _environments.get(folder)
    if environment is None:
        defaults = FileSystemLoader(TEMPLATES)
        loader = ChoiceLoader([FileSystemLoader(folder), defaults]) if folder else defaults
        environment = Environment(loader=loader, autoescape=True, undefined=StrictUndefined,
                                  trim_blocks=True, lstrip_blocks=True)
        environment.filters.update({"kr": kronor, "langt_datum": _long_date})
        _environments[folder] = environment
    return environment


def outcome_meaning(outcome: str) -> str:
    """The meaning of a decision's outcome (granted, rejected …), which names its template."""
    meaning = outcome if outcome in MEANINGS else STORED_OUTCOMES.get(outcome)
    if meaning is None:
        raise ValueError(f"okänt beslut {outcome!r}: inget beslutsbrev")
    return meaning


def fund_letter_context(decision, application, config: Mapping) -> dict:
    """The fund's part of a letter: its name, its organ (the letterhead's nämnd and the
    deciding organ of a decision that names none; the global LETTER_NAMND if the fund names
    none), its contact (else the global LETTER_CONTACT), the outcome's meaning and the
    process's letter folder."""
    fund = application.round.fund
    settings = with_fund_settings(fund, config)
    return {"fund": fund.name, "namnd": settings["LETTER_NAMND"],
            "contact": settings["LETTER_CONTACT"],
            "organ": decision.organ or deciding_organ(settings, decision.level),
            "meaning": outcome_meaning(decision.outcome),
            "letters_folder": texts_folder(fund, config, "letters")}


@dataclass
class DecisionFacts:
    """What a letter needs of a decision; a Decision row has the same attributes (previews use
    this instead, so nothing is added to the database)."""

    outcome: str
    amount: Decimal
    motivation: str
    conditions: str = ""
    decided_at: datetime | None = None
    level: str = "delegat"
    organ: str = ""
    delegation_reference: str = ""
    meeting_date: date | None = None
    meeting_paragraph: str | None = None
    decided_by: Any = None
    presenter: Any = None


def letter_filename(diarienummer: str | None, prefix: str = "Beslut") -> str:
    """`Beslut KS-2027-0042.pdf` (slashes become dashes)."""
    number = (diarienummer or "utan diarienummer").replace("/", "-").replace("\\", "-")
    return f"{prefix} {number}.pdf"


def deciding_organ(config: Mapping, level: str, organ: str | None = None) -> str:
    """The body that decides: the committee the minutes name (`organ`) or the level's body;
    a delegat decides for the nämnd (LETTER_NAMND)."""
    namnd = config.get("LETTER_NAMND", DEFAULTS["LETTER_NAMND"])
    if level == "delegat" and not organ:
        return namnd
    organs = config.get("LETTER_ORGANS", DEFAULTS["LETTER_ORGANS"])
    return organs.get(organ or level, namnd)


def letter_context(decision, application, data: Mapping, config: Mapping,
                   draft: bool = False, decl: ProcessDeclarations | None = None) -> dict:
    """The template's variables from a decision (or DecisionFacts), its case and case data
    (its declared fields: `decl`, else the declarations of the case's process)."""
    if decl is None:
        decl = declarations_of_instance(object_session(application), application.instance)
    delegation_reference = decision.delegation_reference or ""
    if decision.outcome in FORMAL_OUTCOMES and not delegation_reference:
        delegation_reference = config.get("LETTER_FORMAL_DELEGATION",
                                          DEFAULTS["LETTER_FORMAL_DELEGATION"])
    decided_by = decision.decided_by
    presenter = decision.presenter
    return {
        "draft": draft,
        "outcome": decision.outcome,
        "amount": decision.amount,
        "requested_amount": application.requested_amount,
        "motivation": decision.motivation or "",
        "conditions": decision.conditions or "",
        "decided_on": decision.decided_at or datetime.now(STOCKHOLM),
        "level": decision.level,
        "organ": decision.organ or deciding_organ(config, decision.level),
        "meeting_date": decision.meeting_date,
        "meeting_paragraph": decision.meeting_paragraph or "",
        "delegation_reference": delegation_reference,
        "decided_by_name": getattr(decided_by, "display_name", "") or "",
        "decided_by_title": getattr(decided_by, "title", "") or "",
        "presenter_name": getattr(presenter, "display_name", "") or "",
        "presenter_title": getattr(presenter, "title", "") or "",
        "diarienummer": application.diarienummer or "",
        "organisation": application.organisation.name,
        "contact_name": decl.value("contact_name", data) or "",
        "contact_email": decl.value("contact_email", data) or "",
        "title": application.title or decl.value("title", data) or "",
        "description": application.public_description or decl.value("summary", data) or "",
        "start": decl.value("project_start", data),
        "end": decl.value("project_end", data),
        "payout_plan": [{"date": decl.value("tranche_date", row),
                         "amount": decl.value("tranche_amount", row),
                         "condition": decl.value("tranche_condition", row) or ""}
                        for row in decl.value("payout_plan", data) or []
                        if isinstance(row, Mapping)],
        "follow_up": decl.value("report_due", data),
        **{key.removeprefix("LETTER_").lower(): config.get(key, DEFAULTS[key])
           for key in LETTER_KEYS},
        **fund_letter_context(decision, application, config),
    }


def render_html(context: Mapping) -> str:
    """The letter as HTML, from the template named after the outcome's meaning, the process's
    own first (no logo unless the context has `logo_url`)."""
    environment = letter_environment(context.get("letters_folder", ""))
    meaning = context.get("meaning") or outcome_meaning(context["outcome"])
    return environment.get_template(f"{meaning}.html").render({"logo_url": "", **context})


@dataclass
class _Renderer:
    """A font configuration with the letter's fonts registered, the stylesheets parsed for it
    and the sRGB output intent (letter.css @color-profile). Used by one render at a time: the
    font map and the colour profile's PDF reference are not shared between threads."""

    version: tuple[int, ...]
    font_config: FontConfiguration
    color_profiles: dict
    letter: CSS
    draft: CSS


_pool: queue.SimpleQueue[_Renderer] = queue.SimpleQueue()


def _stylesheets_version() -> tuple[int, ...]:
    return tuple(path.stat().st_mtime_ns for path in STYLESHEETS)


def _new_renderer(version: tuple[int, ...]) -> _Renderer:
    font_config, color_profiles = FontConfiguration(), {}
    assets = LetterAssetFetcher()  # fonts and colour profile are fetched once, here
    letter, draft = (CSS(string=path.read_text(encoding="utf-8"), base_url=BASE_URL,
                         url_fetcher=assets, font_config=font_config,
                         color_profiles=color_profiles) for path in STYLESHEETS)
    if OUTPUT_INTENT not in color_profiles:  # no output intent: not PDF/A
        raise RuntimeError("Brevens sRGB-färgprofil (letter.css @color-profile) saknas")
    return _Renderer(version, font_config, color_profiles, letter, draft)


@contextmanager
def _renderer() -> Iterator[_Renderer]:
    """Borrow a renderer for one letter; it goes back to the pool if the render succeeds."""
    version = _stylesheets_version()
    renderer = None
    while renderer is None:
        try:
            renderer = _pool.get_nowait()
        except queue.Empty:
            renderer = _new_renderer(version)
        if renderer.version != version:
            renderer = None  # a stylesheet was edited: drop the old ones
    yield renderer
    if _pool.qsize() < POOL_SIZE:
        _pool.put(renderer)


def html_to_pdf(html: str, fetcher: LetterAssetFetcher | None = None,
                draft: bool = False) -> bytes:
    """PDF/A-3u, tagged, fonts embedded (subset); assets only through the letter fetcher.

    The HTML is styled by letter.css (and draft.css for a draft), not by a <style> of its own.
    The output intent is letter.css's sRGB profile rather than WeasyPrint's built-in "srgb",
    which opens the profile on every letter without closing it (a ResourceWarning that would
    need the thread-unsafe warnings.catch_warnings() around every render)."""
    document = HTML(string=html, base_url=BASE_URL,
                    url_fetcher=fetcher if fetcher is not None else LetterAssetFetcher())
    with _renderer() as renderer:
        stylesheets = [renderer.letter, renderer.draft] if draft else [renderer.letter]
        return document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True,
                                  output_intent=OUTPUT_INTENT,
                                  color_profiles=dict(renderer.color_profiles),
                                  font_config=renderer.font_config, stylesheets=stylesheets)


def render_pdf(context: Mapping, fetcher: LetterAssetFetcher | None = None) -> bytes:
    """Render the letter of `context` to PDF bytes.

    The letterhead shows the logo if the fetcher serves one: by default a fetcher for the
    context's LETTER_LOGO file; an unreadable logo is left out (with a warning)."""
    if fetcher is None:
        fetcher = LetterAssetFetcher(logo=context.get("logo"))
    logo_url = LOGO_URL if getattr(fetcher, "has_logo", False) else ""
    html = render_html({**context, "logo_url": logo_url})
    return html_to_pdf(html, fetcher, draft=bool(context.get("draft")))


def preview_letter(decision_like, application, data: Mapping, config: Mapping,
                   fetcher: LetterAssetFetcher | None = None) -> bytes:
    """A draft letter watermarked UTKAST; never stored."""
    return render_pdf(letter_context(decision_like, application, data, config, draft=True),
                      fetcher)


def render_document(template: str, context: Mapping) -> bytes:
    """Another document of the letters pipeline (e.g. the effect report): its template in
    templates/, autoescaped, to PDF/A with the letters' stylesheet and fetcher."""
    return html_to_pdf(letter_environment().get_template(template).render(context))
