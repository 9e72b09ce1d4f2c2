"""Message texts: Jinja plain-text templates in messages/<kind>.txt (Swedish) and
messages/en/<kind>.txt (English, the same keys).

A template starts with a Jinja comment naming its context keys, then the line
`Ämne: …` (`Subject: …` in English), then the body. Users have no language of their own, so
every message is Swedish with the English version below it; the subject stays Swedish.
"""

import re
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

MESSAGES_DIR = Path(__file__).parent / "messages"
SUBJECT_PREFIX = "Ämne:"
# Each language below the Swedish text: (folder in messages/, subject line prefix, heading).
TRANSLATIONS = (("en", "Subject:", "In English"),)
TRANSLATION_RULE = "-" * 40
SUBJECT_MAX = 300
_LEADING_COMMENT = re.compile(r"\A\s*\{#.*?#\}\s*", re.DOTALL)

# Plain-text e-mail, never HTML: escaping would put "&amp;" in the applicant's inbox.
_env = Environment(
    loader=FileSystemLoader(MESSAGES_DIR),
    autoescape=False,  # noqa: S701
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


def render_message(kind: str, context: dict) -> tuple[str, str]:
    """Return the subject and body of a message of this kind; raise on a missing key."""
    subject, body = _render(_templates(kind), context)
    for folder, prefix, heading in TRANSLATIONS:
        translated_subject, translated_body = _render(_templates(kind, folder, prefix), context)
        body += (f"\n{TRANSLATION_RULE}\n{heading}: {translated_subject}\n\n"
                 f"{translated_body}")
    return subject, body


def _render(templates: tuple[Template, Template], context: dict) -> tuple[str, str]:
    subject_template, body_template = templates
    # One line whatever the values hold: a title with a line break cannot split the header.
    subject = " ".join(subject_template.render(context).split())
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1] + "…"
    body = body_template.render(context).strip() + "\n"
    return subject, body


@cache
def _templates(kind: str, folder: str = "", prefix: str = SUBJECT_PREFIX
               ) -> tuple[Template, Template]:
    path = MESSAGES_DIR / folder / f"{kind}.txt"
    if not re.fullmatch(r"[a-z]+", kind) or not path.is_file():
        raise ValueError(f"okänd meddelandetyp {kind!r}" + (f" ({folder})" if folder else ""))
    source = path.read_text(encoding="utf-8")
    first, _, body = _LEADING_COMMENT.sub("", source, count=1).partition("\n")
    if not first.startswith(prefix):
        raise ValueError(f"{folder}/{kind}.txt börjar inte med raden '{prefix} …'")
    return (_env.from_string(first.removeprefix(prefix)), _env.from_string(body))
