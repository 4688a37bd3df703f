"""report.html: one self-contained page (inline CSS, JS and SVG; no network) rendered with Jinja2.

The view model is built here in Python so the template stays declarative: text cut into pieces with claims
marked, evidence passages with supporting and conflicting words marked, failed checks in plain words, and
bar charts as SVG geometry.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from harness.document import DERIVED, HAND_WRITTEN, REFERENCE
from harness.registry import ARTEFACT, CONTRADICTED, FAILING, METRICS, UNSUPPORTED, VERDICTS, formatted
from harness.report.marking import conflict_keys, marked_html, word_keys

# Which registry metrics the page shows, in its order; their labels and formats are the registry's.
CHART_METRICS = (
    "faithfulness",
    "consistency",
    "weighted_coverage",
    "rouge1_max",
    "rougeLsum_max",
    "semantic_similarity",
)
TABLE_METRICS = (
    "faithfulness",
    "consistency",
    *VERDICTS,
    "weighted_coverage",
    "rouge1_max",
    "rouge2_max",
    "rougeLsum_max",
    "semantic_similarity",
    "fragment_density",
    "compression",
    "words",
)
SUMMARY_ROUGE_METRICS = tuple(n for n, m in METRICS.items() if m.needs_reference_summary)  # shown when declared
ATTENTION_ROWS = 30  # the "needs attention" table lists this many candidates, worst first, whatever the run size
ATTENTION_CLAIMS = 3  # and under each, its worst claims with their best evidence


FEW_CANDIDATES = 40  # up to this many candidates the contents and coverage open expanded; beyond, collapsed
# From this many candidates, each story's claims, evidence and coverage table are packed (raw deflate, base64)
# and put in place by the page when first shown: 9,600 candidates made a 100 MB page that took 13 s to open.
PACKED_FROM = 500
PACK_LEVEL = 6  # zlib's default: level 9 packs 2% smaller and takes twice as long
VERDICT_FILTERS = [
    ("failing", f"a {CONTRADICTED} or {UNSUPPORTED} claim"),
    (CONTRADICTED, f"a {CONTRADICTED} claim"),
    (UNSUPPORTED, f"an {UNSUPPORTED} claim"),
    (ARTEFACT, f"an {ARTEFACT}"),
    ("clean", f"no {CONTRADICTED} or {UNSUPPORTED} claim"),
    ("error", "could not be read"),
]


class DomIds:
    """Element ids for a (story, candidate, claim) tuple, the one place every id, href, data-claim and aria
    reference comes from. Ids from slugs of names collide ('a b' and 'a-b', any two non-ASCII names, one
    candidate name in two stories), so an id is a short hash of the exact tuple: the same across runs, so
    links into a report keep working; a hash that would collide with another tuple's in this page is lengthened."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str, str | None], str] = {}
        self._taken: set[str] = set()

    def __call__(self, story: str, candidate: str, claim: str | None = None) -> str:
        key = (story, candidate, claim)
        found = self._ids.get(key)
        if found is None:
            digest = hashlib.sha256(json.dumps(key, ensure_ascii=False).encode("utf-8")).hexdigest()
            prefix, size = ("c" if claim is None else "k"), 10
            while prefix + digest[:size] in self._taken:  # another tuple's hash prefix: take more of the hash
                size += 2
            found = self._ids[key] = prefix + digest[:size]
            self._taken.add(found)
        return found


def candidate_name(cand: dict[str, Any]) -> str:
    """What names a candidate inside its story: its id, or its path when it could not be read."""
    return cand["id"] or cand["path"]


def claim_view(claim: dict[str, Any], dom: str) -> dict[str, Any]:
    claim_keys = word_keys(claim["text"])
    claim_conflict, source_conflict = conflict_keys(claim)
    evidence, all_evidence = [], set()
    for item in claim["evidence"]:
        evidence_keys = word_keys(item["text"])
        all_evidence |= evidence_keys
        evidence.append({**item, "marked": marked_html(item["text"], claim_keys & evidence_keys, source_conflict)})
    return {
        **claim,
        "dom": dom,
        "marked": marked_html(claim["text"], claim_keys & all_evidence, claim_conflict),
        "explanations": [c["explanation"] or c["reason"] for c in claim["checks"] if c["status"] == "fail"],
        "passed": ", ".join(c["check"] for c in claim["checks"] if c["status"] == "pass"),
        "evidence_view": evidence,
    }


def text_pieces(text: str, claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The candidate text in order: plain pieces and claim pieces (for highlighting)."""
    pieces, cursor = [], 0
    for claim in sorted(claims, key=lambda c: c["start"]):
        if claim["start"] < cursor:
            continue
        if claim["start"] > cursor:
            pieces.append({"text": text[cursor : claim["start"]]})
        pieces.append({"text": text[claim["start"] : claim["end"]], "claim": claim})
        cursor = claim["end"]
    pieces.append({"text": text[cursor:]})
    return pieces


def bar_charts(systems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One small horizontal bar chart per metric in [0, 1], systems as bars."""
    charts = []
    for key in CHART_METRICS:
        label = METRICS[key].label[0].upper() + METRICS[key].label[1:]  # a caption starts with a capital
        bars = [
            {"system": s["system"], "value": s.get(key), "width": round(300 * max(0.0, min(1.0, s.get(key) or 0.0)), 1)}
            for s in systems
        ]
        charts.append({"key": key, "label": label, "bars": bars, "height": 22 * len(bars) + 6})
    return charts


def verdict_bars(systems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A stacked bar of claim verdicts per system, as segment geometry."""
    rows = []
    for s in systems:
        total = sum(s.get(v) or 0 for v in VERDICTS) or 1
        x, segments = 0.0, []
        for verdict in VERDICTS:
            count = s.get(verdict) or 0
            width = 400 * count / total
            segments.append({"verdict": verdict, "count": count, "x": round(x, 1), "width": round(width, 1)})
            x += width
        rows.append({"system": s["system"], "segments": segments, "total": total})
    return rows


def verdict_tokens(cand: dict[str, Any]) -> str:
    """The candidate's tokens for the page's verdict filter: each verdict it has, plus 'failing' (a
    contradicted or unsupported claim), 'clean' (neither) or 'error' (not read)."""
    if cand["status"] != "ok":
        return "error"
    present = {c["verdict"] for c in cand["claims"]}
    failing = bool(present & set(FAILING))
    return " ".join(sorted(present) + ["failing" if failing else "clean"])


def candidate_views(story: dict[str, Any], deltas: dict[str, dict[str, float]], ids: DomIds) -> list[dict[str, Any]]:
    views = []
    for cand in story["candidates"]:
        name = candidate_name(cand)
        claims = [claim_view(c, ids(story["id"], name, c["id"])) for c in cand["claims"]]
        views.append(
            {
                **cand,
                "name": name,
                "dom": ids(story["id"], name),
                "verdict_tokens": verdict_tokens(cand),
                "claims_view": claims,
                "pieces": text_pieces(cand["text"], claims),
                "delta": deltas.get(f"{story['id']}/{cand['id']}", {}),
            }
        )
    return views


def attention_rank(cand: dict[str, Any], gate_failures: int) -> tuple:
    """Worst first: unreadable candidates, then more failing gate checks, then no scorable claim, then lower
    faithfulness, more contradicted and more unsupported claims."""
    if cand["status"] != "ok":
        return (0, -gate_failures)
    metrics = cand["metrics"]
    faithfulness = metrics.get("faithfulness")
    return (
        1,
        -gate_failures,
        faithfulness is not None,
        faithfulness if faithfulness is not None else 0.0,
        -(metrics.get(CONTRADICTED) or 0),
        -(metrics.get(UNSUPPORTED) or 0),
    )


def worst_claims(view: dict[str, Any], limit: int = ATTENTION_CLAIMS) -> list[dict[str, Any]]:
    """A candidate's failing claims, contradicted before unsupported, lowest p(support) first."""
    failing = [c for c in view["claims_view"] if c["verdict"] in FAILING]
    failing.sort(key=lambda c: (FAILING.index(c["verdict"]), c["p_support"] if c["p_support"] is not None else 0.0))
    return failing[:limit]


def attention_rows(stories: list[dict[str, Any]], gate: dict[str, Any], limit: int = ATTENTION_ROWS) -> list[dict]:
    """The candidates that need attention first, ranked by `attention_rank`, each with the gate's failures
    for it and its worst claims: the page opens on them, so a 1,600-candidate report needs no scrolling."""
    failures: dict[str, list[str]] = {}
    for f in gate.get("failures") or []:
        if f["scope"] == "candidate":
            failures.setdefault(f["name"], []).append(f"{f['kind']}: {f['message']}")
    ranked = []
    for story in stories:
        for view in story["candidate_views"]:
            key = f"{story['id']}/{view['name']}"
            found = failures.get(key, [])
            ranked.append((attention_rank(view, len(found)), key, story["id"], view, found))
    ranked.sort(key=lambda row: (row[0], row[1]))
    rows = []
    for _, key, story_id, view, found in ranked[:limit]:
        clean = view["status"] == "ok" and not found and not any(c["verdict"] in FAILING for c in view["claims_view"])
        if clean:
            break  # the rest are clean: nothing needs attention there
        rows.append({"key": key, "story": story_id, "view": view, "gate": found, "claims": worst_claims(view)})
    return rows


def _first_by_fact(matches: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A candidate's key-fact matches by fact id; the first, should an id appear twice."""
    found: dict[str, dict[str, Any]] = {}
    for match in matches:
        found.setdefault(match["fact_id"], match)
    return found


FACT_KINDS = {
    HAND_WRITTEN: "hand-written",
    REFERENCE: "from the reference summaries",
    DERIVED: "derived from the articles",
}


def fact_kinds(story: dict[str, Any]) -> str:
    """Which kind of key facts a story's coverage reads, in words: a user must know whether coverage is
    measured against facts someone chose or ones the harness picked."""
    return ", ".join(FACT_KINDS[k] for k in dict.fromkeys(f["kind"] for f in story["key_facts"]) if k in FACT_KINDS)


def coverage_rows(story: dict[str, Any], ids: DomIds) -> list[dict[str, Any]]:
    read = [cand for cand in story["candidates"] if cand["status"] == "ok"]
    matches = [_first_by_fact(cand["key_facts"]) for cand in read]  # a dict each, not a search per cell
    rows = []
    for fact in story["key_facts"]:
        cells = []
        for cand, by_fact in zip(read, matches):
            match = by_fact.get(fact["fact_id"])
            cells.append(
                {
                    "candidate": cand["id"],
                    "match": match,
                    "dom": ids(story["id"], candidate_name(cand), match["claim_id"])
                    if match and match["claim_id"]
                    else "",
                }
            )
        rows.append(
            {"fact": fact, "cells": cells, "count": sum(1 for c in cells if c["match"] and c["match"]["covered"])}
        )
    return rows


def short_summary(summary: str) -> str:
    """The gate's summary line without the lists of new and missing candidates it carries (1,600 names at
    SummEval's size); the counts stay, and the full line is shown under the banner's details."""
    return re.sub(r"(\d+ (?:new|missing)) \(.*?\)(?=, [\d,]+ missing|$)", r"\1", summary)


def gate_view(gate: dict[str, Any], candidate_doms: dict[str, str]) -> dict[str, Any]:
    """The banner: one line (result and counts) and the failures, each candidate linked to its section."""
    failures = [
        {**f, "dom": candidate_doms.get(f["name"], "") if f["scope"] == "candidate" else ""}
        for f in gate.get("failures") or []
    ]
    scopes: dict[str, int] = {}
    for f in failures:
        scopes[f["scope"]] = scopes.get(f["scope"], 0) + 1
    summary = gate.get("error") or gate.get("summary") or ""
    return {
        # the banner states the result in words ("Gate failed."), so the line is the counts alone
        "line": re.sub(r"^gate (?:PASSED|FAILED): ", "", short_summary(summary)),
        "full": summary,
        "shortened": short_summary(summary) != summary,  # lists of names left out of the line: shown in details
        "failures": failures,
        "scopes": ", ".join(f"{n} {scope}" for scope, n in sorted(scopes.items())),
    }


def packed(text: str) -> str:
    """Text as the page unpacks it with the browser's own DecompressionStream("deflate-raw"): raw deflate,
    base64 so that it can sit inside a <script> element."""
    packer = zlib.compressobj(PACK_LEVEL, zlib.DEFLATED, -15)
    return base64.b64encode(packer.compress(str(text).encode("utf-8")) + packer.flush()).decode("ascii")


def claim_chunks(stories: list[dict[str, Any]]) -> dict[str, str]:
    """Which story's packed parts hold each claim: a link to a claim of a story not yet shown places them."""
    return {claim["dom"]: s["chunk"] for s in stories for c in s["candidate_views"] for claim in c["claims_view"]}


def render_html(document: dict[str, Any]) -> str:
    env = Environment(
        loader=PackageLoader("harness", "report/templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = formatted
    env.filters["packed"] = packed
    env.filters["signed"] = lambda v, d=3: "" if v is None else (f"{v:+.{d}f}" if isinstance(v, float) else f"{v:+d}")
    gate = document.get("gate") or {}
    ids = DomIds()
    stories = [
        {
            **s,
            "candidate_views": candidate_views(s, gate.get("deltas", {}), ids),
            "coverage": coverage_rows(s, ids),
            "fact_kinds": fact_kinds(s),
            "chunk": f"z{number}",
        }
        for number, s in enumerate(document["stories"])
    ]
    doms = {f"{s['id']}/{c['id']}": c["dom"] for s in stories for c in s["candidate_views"] if c["id"]}
    systems = sorted({c["system"] for s in stories for c in s["candidate_views"] if c["system"]})
    count = sum(len(s["candidates"]) for s in stories)
    declared = any(
        c["metrics"].get("reference_summaries") for s in stories for c in s["candidates"] if c["status"] == "ok"
    )
    shown = TABLE_METRICS + (SUMMARY_ROUGE_METRICS if declared else ())
    attention = attention_rows(stories, gate)
    lazy = count >= PACKED_FROM
    return env.get_template("report.html.j2").render(
        attention=attention,
        attention_limit=ATTENTION_ROWS,
        run=document,
        stories=stories,
        gate=gate,
        gate_view=gate_view(gate, doms),
        table_metrics=[(name, METRICS[name]) for name in shown],
        charts=bar_charts(document["systems"]),
        verdict_rows=verdict_bars(document["systems"]),
        verdicts=VERDICTS,
        artefact=ARTEFACT,
        expanded=count <= FEW_CANDIDATES,
        lazy=lazy,
        claim_chunks=claim_chunks(stories) if lazy else {},
        candidate_count=count,
        systems=systems,
        verdict_filters=VERDICT_FILTERS,
    )
