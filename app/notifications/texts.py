"""Message texts: Jinja plain-text templates in messages/<kind>.txt (Swedish) and
messages/en/<kind>.txt (English, the same keys).

A fund's process may have its own texts, `processes/<process id>/messages/<kind>.txt` and
`…/messages/en/<kind>.txt`: a message whose context names that folder (`messages_folder`, from
the case's notice context) is rendered from the process's file if it has one, else from the
neutral default here; includes (the footer) are looked up the same way.

A template starts with a Jinja comment naming its context keys, then the line
`Ämne: …` (`Subject: …` in English), then the body. Users have no language of their own, so
every message is Swedish with the English version below it; the subject stays Swedish.
"""

import re
from functools import cache
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
)

MESSAGES_DIR = Path(__file__).parent / "messages"
SUBJECT_PREFIX = "Ämne:"
# Each language below the Swedish text: (folder in messages/, subject line prefix, heading).
TRANSLATIONS = (("en", "Subject:", "In English"),)
TRANSLATION_RULE = "-" * 40
SUBJECT_MAX = 300
_LEADING_COMMENT = re.compile(r"\A\s*\{#.*?#\}\s*", re.DOTALL)


@cache
def _environment(own: str = "") -> Environment:
    """The templates of one process's folder `own` (first) and the defaults; plain-text
    e-mail, never HTML: escaping would put "&amp;" in the applicant's inbox."""
    defaults = FileSystemLoader(MESSAGES_DIR)
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(own), defaults]) if own else defaults,
        autoescape=False,  # noqa: S701
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render_message(kind: str, context: dict) -> tuple[str, str]:
    """Return the subject and body of a message of this kind (the process's own text if the
    context's `messages_folder` has it); raise on a missing key."""
    own = context.get("messages_folder") or ""
    subject, body = _render(_templates(kind, own=own), context)
    for folder, prefix, heading in TRANSLATIONS:
        translated_subject, translated_body = _render(
            _templates(kind, folder, prefix, own), context)
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
def _templates(kind: str, folder: str = "", prefix: str = SUBJECT_PREFIX, own: str = ""
               ) -> tuple[Template, Template]:
    environment = _environment(own)
    name = f"{folder}/{kind}.txt" if folder else f"{kind}.txt"
    try:
        if not re.fullmatch(r"[a-z]+", kind):
            raise TemplateNotFound(name)
        source, path, _ = environment.loader.get_source(environment, name)
    except TemplateNotFound:
        raise ValueError(f"okänd meddelandetyp {kind!r}"
                         + (f" ({folder})" if folder else "")) from None
    first, _, body = _LEADING_COMMENT.sub("", source, count=1).partition("\n")
    if not first.startswith(prefix):
        raise ValueError(f"{path} börjar inte med raden '{prefix} …'")
    return (environment.from_string(first.removeprefix(prefix)),
            environment.from_string(body))
