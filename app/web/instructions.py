"""Task instructions: Markdown with Jinja placeholders, rendered safely.

Jinja runs sandboxed without autoescape; Markdown then escapes any HTML (html=False), so
applicant text in the data can never become markup or a script.
"""

from functools import lru_cache

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markdown_it import MarkdownIt
from markupsafe import Markup

_jinja = SandboxedEnvironment(autoescape=False)
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})


@lru_cache(maxsize=256)
def _template(source: str):
    return _jinja.from_string(source)


def render_instructions(source: str | None, data: dict) -> Markup:
    """Return the instructions as HTML with the task data filled in."""
    if not source:
        return Markup("")
    try:
        text = _template(source).render(**data)
    except TemplateError:
        text = source
    return Markup(_markdown.render(text))  # noqa: S704 - markdown-it escapes all HTML
