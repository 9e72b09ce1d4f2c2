"""Charts drawn server-side: a Vega-Lite specification rendered to SVG by vl-convert (the
Vega project's own renderer, no browser and no JavaScript in the page), made accessible
(role="img" with a <title> and <desc>) and safe to put inline under the app's CSP (no
scripts, no style attributes, no links out)."""

import json
import re
from functools import lru_cache

import vl_convert
from markupsafe import Markup, escape

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
# Colours with at least 3:1 contrast against white (WCAG 1.4.11), told apart by more than hue
# where it matters (the tables carry every figure as text too).
PALETTE = ["#1f5fa8", "#b34700", "#2e7d32", "#6a1b9a", "#8c6d00", "#00838f", "#c2185b"]
CONFIG = {"font": "DejaVu Sans, Arial, sans-serif", "background": "white",
          "range": {"category": PALETTE},
          "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelLimit": 220},
          "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
          "view": {"stroke": None}}
# What the renderer writes for screen readers of interactive charts; inside role="img" it is
# noise, and an aria-roledescription without a role fails the checkers.
_ARIA = re.compile(r'\s(?:role|aria-[a-z]+)="[^"]*"')
_UNSAFE = re.compile(r"<(?:script|foreignObject|a|image|use)\b|\son[a-z]+=|style=|href=", re.I)


def bar_spec(rows: list[dict], category: str, category_title: str, measures: dict[str, str],
             value_title: str, width: int = 480) -> dict:
    """Horizontal bars per category, one bar per measure ({field: label}) side by side."""
    data = [{"category": row[category], "measure": label, "value": float(row[field] or 0)}
            for row in rows for field, label in measures.items()]
    encoding = {"y": {"field": "category", "type": "nominal", "title": category_title,
                      "sort": None},
                "x": {"field": "value", "type": "quantitative", "title": value_title},
                "color": {"field": "measure", "type": "nominal", "title": None,
                          "sort": list(measures.values())}}
    if len(measures) > 1:
        encoding["yOffset"] = {"field": "measure", "sort": list(measures.values())}
    return {"$schema": SCHEMA, "config": CONFIG, "width": width, "data": {"values": data},
            "mark": {"type": "bar", "tooltip": False}, "encoding": encoding}


def line_spec(rows: list[dict], x: str, x_title: str, series: str, measures: dict[str, str],
              value_title: str, width: int = 480) -> dict:
    """Lines over time (x: ÅÅÅÅ-MM), one per measure, a panel per value of `series`."""
    data = [{"x": row[x], "series": row[series], "measure": label,
             "value": float(row[field] or 0)} for row in rows for field, label in measures.items()]
    return {"$schema": SCHEMA, "config": CONFIG, "data": {"values": data},
            "facet": {"row": {"field": "series", "type": "nominal", "title": None}},
            "spec": {"width": width, "height": 160,
                     "mark": {"type": "line", "point": True, "tooltip": False},
                     "encoding": {
                         "x": {"field": "x", "type": "ordinal", "title": x_title},
                         "y": {"field": "value", "type": "quantitative", "title": value_title},
                         "color": {"field": "measure", "type": "nominal", "title": None,
                                   "sort": list(measures.values())},
                         "strokeDash": {"field": "measure", "type": "nominal", "title": None,
                                        "sort": list(measures.values())}}}}


def chart_svg(spec: dict, chart_id: str, title: str, description: str) -> Markup:
    """The chart as inline SVG: role="img", labelled by its <title> and <desc>."""
    drawing = _render(json.dumps(spec, sort_keys=True, default=str))
    end = drawing.index(">")
    attributes = drawing[len("<svg"):end].replace(' class="marks"', "")
    ident = escape(chart_id)
    svg = (f'<svg role="img" aria-labelledby="{ident}-title {ident}-desc" class="chart"'
           f'{attributes}><title id="{ident}-title">{escape(title)}</title>'
           f'<desc id="{ident}-desc">{escape(description)}</desc>{drawing[end + 1:]}')
    return Markup(svg)  # noqa: S704 - the renderer's SVG is checked by _render, texts escaped


@lru_cache(maxsize=256)
def _render(spec_json: str) -> str:
    """The SVG of a specification (the same figures draw the same chart: kept)."""
    drawing = _ARIA.sub("", vl_convert.vegalite_to_svg(
        json.loads(spec_json), format_locale="sv-SE", time_format_locale="sv-SE",
        allowed_base_urls=[]))  # Swedish numbers; never fetch anything
    if _UNSAFE.search(drawing):
        raise ValueError("diagrammet innehåller något som inte får visas i sidan")
    return drawing
