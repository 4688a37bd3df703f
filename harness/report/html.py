"""report.html: one self-contained page rendered with Jinja2 from the run document."""
from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

VERDICT_COLOURS = {"supported": "#d7f0dc", "contradicted": "#f8d0d0", "unsupported": "#fcebc4", "artefact": "#e2e2e2"}


def highlighted(text: str, claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cut the candidate text into plain and claim pieces, in order, for highlighting."""
    pieces, cursor = [], 0
    for claim in sorted(claims, key=lambda c: c["start"]):
        if claim["start"] < cursor:
            continue
        if claim["start"] > cursor:
            pieces.append({"text": text[cursor:claim["start"]]})
        pieces.append({"text": text[claim["start"]:claim["end"]], "claim": claim})
        cursor = claim["end"]
    pieces.append({"text": text[cursor:]})
    return pieces


def render_html(document: dict[str, Any]) -> str:
    env = Environment(loader=PackageLoader("harness", "report/templates"), autoescape=select_autoescape(["html", "j2"]))
    env.globals.update(highlighted=highlighted, colours=VERDICT_COLOURS)
    env.filters["num"] = lambda v, d=3: "" if v is None else (f"{v:.{d}f}" if isinstance(v, float) else v)
    return env.get_template("report.html.j2").render(run=document)
