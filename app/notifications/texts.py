"""Message texts: Jinja plain-text templates in messages/<kind>.txt, Swedish.

A template starts with a Jinja comment naming its context keys, then the line
`Ämne: …` (the subject), then the body.
"""

import re
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

MESSAGES_DIR = Path(__file__).parent / "messages"
SUBJECT_PREFIX = "Ämne:"
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
    subject_template, body_template = _templates(kind)
    # One line whatever the values hold: a title with a line break cannot split the header.
    subject = " ".join(subject_template.render(context).split())
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1] + "…"
    body = body_template.render(context).strip() + "\n"
    return subject, body


@cache
def _templates(kind: str) -> tuple[Template, Template]:
    if not re.fullmatch(r"[a-z]+", kind) or not (MESSAGES_DIR / f"{kind}.txt").is_file():
        raise ValueError(f"okänd meddelandetyp {kind!r}")
    source = (MESSAGES_DIR / f"{kind}.txt").read_text(encoding="utf-8")
    first, _, body = _LEADING_COMMENT.sub("", source, count=1).partition("\n")
    if not first.startswith(SUBJECT_PREFIX):
        raise ValueError(f"{kind}.txt börjar inte med raden '{SUBJECT_PREFIX} …'")
    return (_env.from_string(first.removeprefix(SUBJECT_PREFIX)), _env.from_string(body))
