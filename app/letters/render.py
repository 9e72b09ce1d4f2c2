"""Render a beslutsbrev: Jinja template per outcome → HTML → WeasyPrint PDF/A-3u."""

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint import HTML

from app.config import DEFAULTS
from app.formatting import STOCKHOLM, kronor, long_date, to_local_date
from app.letters.fetcher import SCHEME, LetterAssetFetcher

TEMPLATES = Path(__file__).parent / "templates"
BASE_URL = f"{SCHEME}:"
PDF_VARIANT = "pdf/a-3u"
LEVEL_NAMES = {"au": "Kommunstyrelsens arbetsutskott", "ks": "Kommunstyrelsen"}
LETTER_KEYS = ("LETTER_KOMMUN", "LETTER_NAMND", "LETTER_ADDRESS", "LETTER_CONTACT",
               "LETTER_APPEAL_TEXT")


def _long_date(value) -> str:
    """`14 mars 2027` from a date, a datetime (Stockholm) or an ISO string; '' if empty."""
    if value in (None, ""):
        return ""
    return long_date(to_local_date(value))


# Autoescaped everywhere: applicant text can never become markup.
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.filters.update({"kr": kronor, "langt_datum": _long_date})


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
    delegation_reference: str = ""
    meeting_date: date | None = None
    meeting_paragraph: str | None = None
    decided_by: Any = None
    presenter: Any = None


def letter_filename(diarienummer: str | None, prefix: str = "Beslut") -> str:
    """`Beslut KS-2027-0042.pdf` (slashes become dashes)."""
    number = (diarienummer or "utan diarienummer").replace("/", "-").replace("\\", "-")
    return f"{prefix} {number}.pdf"


def letter_context(decision, application, data: Mapping, config: Mapping,
                   draft: bool = False) -> dict:
    """The template's variables from a decision (or DecisionFacts), its case and case data."""
    contact = data.get("kontaktperson") or {}
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
        "committee": LEVEL_NAMES.get(decision.level, ""),
        "meeting_date": decision.meeting_date,
        "meeting_paragraph": decision.meeting_paragraph or "",
        "delegation_reference": decision.delegation_reference or "",
        "decided_by_name": getattr(decided_by, "display_name", "") or "",
        "decided_by_title": getattr(decided_by, "title", "") or "",
        "presenter_name": getattr(presenter, "display_name", "") or "",
        "presenter_title": getattr(presenter, "title", "") or "",
        "diarienummer": application.diarienummer or "",
        "organisation": application.organisation.name,
        "contact_name": contact.get("namn", ""),
        "contact_email": contact.get("epost", ""),
        "title": application.title or data.get("titel", ""),
        "description": application.public_description or data.get("kort_beskrivning", ""),
        "start": data.get("startdatum"),
        "end": data.get("slutdatum"),
        "payout_plan": [row for row in data.get("utbetalningsplan") or []
                        if isinstance(row, Mapping)],
        "follow_up": data.get("aterrapportering_datum"),
        **{key.removeprefix("LETTER_").lower(): config.get(key, DEFAULTS[key])
           for key in LETTER_KEYS},
    }


def render_html(context: Mapping) -> str:
    """The letter as HTML, from the template named after the outcome."""
    return _env.get_template(f"{context['outcome']}.html").render(context)


def html_to_pdf(html: str, fetcher: LetterAssetFetcher | None = None) -> bytes:
    """PDF/A-3u, tagged, fonts embedded (subset); assets only through the letter fetcher."""
    document = HTML(string=html, base_url=BASE_URL,
                    url_fetcher=fetcher if fetcher is not None else LetterAssetFetcher())
    # WeasyPrint 70 opens its sRGB output-intent profile for PDF/A without closing it; the
    # ResourceWarning is its bug, not ours (and fails runs with warnings as errors).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        return document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)


def render_pdf(context: Mapping, fetcher: LetterAssetFetcher | None = None) -> bytes:
    """Render the letter of `context` to PDF bytes."""
    return html_to_pdf(render_html(context), fetcher)


def preview_letter(decision_like, application, data: Mapping, config: Mapping,
                   fetcher: LetterAssetFetcher | None = None) -> bytes:
    """A draft letter watermarked UTKAST; never stored."""
    return render_pdf(letter_context(decision_like, application, data, config, draft=True),
                      fetcher)
