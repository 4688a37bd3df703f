"""`harness probe`: behavioural tests of a judge on the user's own sources, no labels needed (CheckList's
minimum-functionality and invariance tests, Ribeiro et al., 2020).

From each story's reference articles (and declared reference summaries) it takes original sentences as
candidates, and one-edit variants of them whose effect is known: an edit that makes the sentence false must
be caught (the judge calls it contradicted or unsupported); an edit that keeps its meaning, and the original
itself, must be accepted (supported). Every variant goes through the normal pipeline (claims, evidence,
checks, judge) against its story's references. Edits that cannot be made on a sentence are skipped and
counted, never faked. Per judge and edit kind it reports the rate with a Wilson 95% interval.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import harness.edits as edits
from harness.config import Config
from harness.document import Story
from harness.evaluation.evaluator import story_evaluator
from harness.evaluation.loaded_models import load_models
from harness.files import atomic_write_text
from harness.measure.scorer import as_document
from harness.registry import CAUGHT, FAILING, KINDS, SUPPORTED
from harness.report.csv_files import spreadsheet_safe
from harness.text import split_sentences, words

MIN_WORDS, MAX_WORDS = 8, 45  # sentences a probe uses: long enough to state a fact, short enough to be one


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion: sensible at 0, 1 and small n, unlike the normal one."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class Probe:
    """One variant of one source sentence: what the judge is shown and what it should say. A probe with a
    `skipped` reason has no variant: the edit could not be made fluently on that sentence, and the outputs
    count it with its reason instead of judging it."""

    story: str
    sentence_id: str
    kind: str
    original: str
    text: str
    skipped: str = ""

    @property
    def expect(self) -> str:
        return KINDS[self.kind].expect


def usable_sentences(story: Story) -> list[str]:
    """The story's reference (and reference-summary) sentences a probe can edit: 8 to 45 words, mostly letters."""
    found: list[str] = []
    for doc in list(story.references) + list(story.summaries):
        for sentence in split_sentences(doc.content_text):
            sentence = " ".join(sentence.split())
            count = len(words(sentence))
            letters = sum(c.isalpha() for c in sentence)
            if MIN_WORDS <= count <= MAX_WORDS and letters > 0.6 * len(sentence) and sentence not in found:
                found.append(sentence)
    return found


def build_probes(
    stories: list[Story], kinds: tuple[str, ...], max_sentences: int, seed: int
) -> tuple[list[Probe], dict[str, dict[str, int]]]:
    """Per story and kind, up to `max_sentences` variants: the story's sentences are shuffled by `seed` and
    each kind walks them in that order, editing those that have something of its kind (a date, a quotation,
    two names) until it has enough, so rare kinds are measured on as many sentences as common ones. Returns
    the probes (skipped ones included, with their reason) and per kind the counts made, skipped (a site, but
    no fluent variant) and without a site."""
    parser = edits.parse()
    counts = {k: {"made": 0, "skipped": 0, "no_site": 0} for k in kinds}
    probes: list[Probe] = []
    pools = {s.story_id: usable_sentences(s) for s in stories}
    for story in stories:
        rng = random.Random(f"{seed}-{story.story_id}")
        order = list(range(len(pools[story.story_id])))
        rng.shuffle(order)
        sentences = [pools[story.story_id][i] for i in order]
        docs = list(parser.pipe(sentences))
        source = edits.Source.of(parser.pipe([d.content_text[:100_000] for d in story.references]))
        others = [s for sid, pool in pools.items() if sid != story.story_id for s in pool]
        for kind in kinds:
            made, attempts = 0, len(sentences)
            if kind == "other_story" and not others:
                attempts = min(max_sentences, attempts)  # the same reason for every sentence: said that often
            for n, (sentence, doc) in list(zip(order, zip(sentences, docs)))[:attempts]:
                if made == max_sentences:
                    break
                outcome = _variant(kind, doc, source, others, rng)
                if outcome.text is None and not outcome.has_site:
                    counts[kind]["no_site"] += 1
                    continue
                sentence_id = f"{story.story_id}/s{n + 1}"
                if outcome.text is None:
                    counts[kind]["skipped"] += 1
                    probes.append(Probe(story.story_id, sentence_id, kind, sentence, "", outcome.reason))
                    continue
                made += 1
                counts[kind]["made"] += 1
                probes.append(Probe(story.story_id, sentence_id, kind, sentence, outcome.text))
    return probes, counts


def _variant(kind: str, doc, source: edits.Source, others: list[str], rng: random.Random) -> edits.Edited:
    if kind == "original":
        return edits.Edited(doc.text)
    if kind == "other_story":
        if not others:
            return edits.Edited.skip("needs two or more stories")
        return edits.Edited(f"{doc.text} {others[rng.randrange(len(others))]}")
    return edits.edit(kind, doc, source, rng)


def outcome(probe: Probe, verdicts: list[str]) -> bool:
    """Whether the judge did what the kind expects: caught (some claim fails) or accepted (every claim supported)."""
    if probe.expect == CAUGHT:
        return any(v in FAILING for v in verdicts)
    return bool(verdicts) and all(v == SUPPORTED for v in verdicts)


def run_probes(
    stories: list[Story], probes: list[Probe], config: Config, judge: str, progress: bool = True
) -> list[dict[str, Any]]:
    """Each probe through the normal pipeline (claims, evidence, checks, `judge`) against its story."""
    from tqdm import tqdm

    models = load_models(replace(config, judge=judge))
    evaluators = {s.story_id: story_evaluator(s, models, config) for s in stories}
    rows = []
    judged = [p for p in probes if not p.skipped]
    for probe in (p for p in probes if p.skipped):
        rows.append(_row(judge, probe) | {"status": f"skipped: {probe.skipped}"})
    for i, probe in enumerate(tqdm(judged, desc=f"probe {judge}", unit="variant", disable=None if progress else True)):
        result = evaluators[probe.story].evaluate(as_document(probe.text, f"probe{i}"))
        scored = [(c, j) for c, j in zip(result.claims, result.judgements) if not c.is_artefact]
        verdicts = [j.verdict for _, j in scored]
        rows.append(
            _row(judge, probe)
            | {
                "status": JUDGED,
                "verdicts": " ".join(verdicts) or "no scorable claim",
                "p_support": min((j.p_support for _, j in scored if j.p_support is not None), default=None),
                "failed_checks": "; ".join(c.label() for _, j in scored for c in j.failed_checks),
                "ok": outcome(probe, verdicts),
            }
        )
    return rows


JUDGED = "judged"  # a probe.csv row's status when its variant went through the judge


def _row(judge: str, probe: Probe) -> dict[str, Any]:
    """probe.csv's columns; a skipped probe keeps them, with its status saying why and no verdict."""
    return {
        "judge": judge,
        "story": probe.story,
        "sentence": probe.sentence_id,
        "kind": probe.kind,
        "expect": probe.expect,
        "status": JUDGED,
        "original": probe.original,
        "variant": probe.text,
        "verdicts": "",
        "p_support": None,
        "failed_checks": "",
        "ok": None,
    }


def summarise(rows: list[dict[str, Any]], counts: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """Per judge and kind: n, rate (catch rate or acceptance rate), its Wilson interval, and skipped edits."""
    table = []
    for judge in dict.fromkeys(r["judge"] for r in rows):
        for kind in counts:
            mine = [r for r in rows if r["judge"] == judge and r["kind"] == kind and r["status"] == JUDGED]
            hits = sum(r["ok"] for r in mine)
            low, high = wilson(hits, len(mine))
            table.append(
                {
                    "judge": judge,
                    "kind": kind,
                    "expect": KINDS[kind].expect,
                    "n": len(mine),
                    "rate": round(hits / len(mine), 4) if mine else None,
                    "ci_low": round(low, 4),
                    "ci_high": round(high, 4),
                    "skipped": counts[kind]["skipped"],
                    "skip_reasons": skip_reasons(rows, judge, kind),
                }
            )
    return table


def skip_reasons(rows: list[dict[str, Any]], judge: str, kind: str) -> dict[str, int]:
    """How often each reason stopped a `kind` edit, most frequent first."""
    reasons = Counter(
        r["status"].removeprefix("skipped: ")
        for r in rows
        if r["judge"] == judge and r["kind"] == kind and r["status"] != JUDGED
    )
    return dict(reasons.most_common())


def console_table(summary: list[dict[str, Any]]) -> str:
    lines = [f"{'judge':<14} {'edit':<14} {'expects':<9} {'made':>4} {'rate':>6}  {'95% CI':<13} {'skipped':>7}"]
    for row in summary:
        rate = "–" if row["rate"] is None else f"{row['rate']:.0%}"
        ci = "–" if row["n"] == 0 else f"{row['ci_low']:.0%}–{row['ci_high']:.0%}"
        lines.append(
            f"{row['judge']:<14} {row['kind']:<14} {row['expect']:<9} {row['n']:>4} {rate:>6}  {ci:<13} {row['skipped']:>7}"
        )
    first = next(iter(dict.fromkeys(r["judge"] for r in summary)), None)
    for row in (r for r in summary if r["judge"] == first and r["skip_reasons"]):
        reasons = "; ".join(f"{reason} ({count})" for reason, count in row["skip_reasons"].items())
        lines.append(f"skipped {row['kind']}: {reasons}")
    return "\n".join(lines)


def gate_failures(summary: list[dict[str, Any]], minimums: dict[str, float]) -> list[str]:
    """`min_catch_<kind>` / `min_accept_<kind>` ([gate.probe]) a judge's rate falls below; a kind with no
    variant made fails too (a minimum that cannot be measured is not met)."""
    failures = []
    for key, minimum in sorted(minimums.items()):
        kind = key.split("_", 2)[2]
        for row in (r for r in summary if r["kind"] == kind):
            if row["rate"] is None:
                failures.append(f"{row['judge']}: {key} = {minimum:g} but no {kind} variant could be made")
            elif row["rate"] < minimum:
                failures.append(f"{row['judge']}: {kind} rate {row['rate']:.2f} < {key} {minimum:g}")
    return failures


def write_outputs(
    out: Path, rows: list[dict[str, Any]], summary: list[dict[str, Any]], settings: dict[str, Any]
) -> list[Path]:
    """probe.csv (every variant), probe.json (settings, rates, misses) and probe.html, written atomically."""
    import json

    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows).map(spreadsheet_safe)
    paths = [out / "probe.csv", out / "probe.json", out / "probe.html"]
    atomic_write_text(paths[0], frame.to_csv(index=False))
    misses = [r for r in rows if r["status"] == JUDGED and not r["ok"]]
    document = {"settings": settings, "kinds": {k: vars(v) for k, v in KINDS.items()}, "rates": summary}
    document["misses"] = misses[:500]
    atomic_write_text(paths[1], json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    atomic_write_text(paths[2], probe_html(summary, misses, settings))
    return paths


def probe_html(summary: list[dict[str, Any]], misses: list[dict[str, Any]], settings: dict[str, Any]) -> str:
    """A self-contained page: the rates table, then up to five misses per judge and kind, original beside variant."""
    from markupsafe import escape

    head = "".join(f"<th>{h}</th>" for h in ("judge", "edit", "expects", "n", "rate", "95% CI", "skipped"))
    body = "".join(
        f"<tr><td>{escape(r['judge'])}</td><td>{r['kind']}</td><td>{r['expect']}</td><td>{r['n']}</td>"
        f"<td>{_percent(r['rate'])}</td><td>{_percent(r['ci_low'])}–{_percent(r['ci_high'])}</td>"
        f"<td>{r['skipped']}</td></tr>"
        for r in summary
    )
    sections = []
    for (judge, kind), group in _grouped(misses).items():
        items = "".join(
            f"<li><p><b>variant</b> {escape(m['variant'])}</p><p class=m><b>original</b> {escape(m['original'])}</p>"
            f"<p class=m>judge said: {escape(m['verdicts'])}"
            f"{' · checks: ' + escape(m['failed_checks']) if m['failed_checks'] else ''}</p></li>"
            for m in group[:5]
        )
        sections.append(
            f"<h3>{escape(judge)}: {kind} ({len(group)} missed, {KINDS[kind].expect} expected)</h3><ol>{items}</ol>"
        )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>harness probe</title><style>"
        "body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:1rem auto;padding:0 1rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.2rem .5rem}.m{color:#59636e}"
        f"</style><h1>Judge probe</h1><p class=m>{escape(settings_in_words(settings))}</p>"
        f"<table><tr>{head}</tr>{body}</table>"
        f"<h2>Misses</h2>{''.join(sections) or '<p>None.</p>'}</html>\n"
    )


def settings_in_words(settings: dict[str, Any]) -> str:
    """The probe's settings as a line people read ("judges: evidence, nli · max sentences: 4 · seed: 0"), not a
    Python dict."""

    def shown(value: Any) -> str:
        if isinstance(value, (list, tuple)):
            return ", ".join(map(str, value)) or "none"
        if isinstance(value, dict):
            return ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
        return str(value)

    return " · ".join(f"{key.replace('_', ' ')}: {shown(value)}" for key, value in settings.items())


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _grouped(rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["judge"], row["kind"]), []).append(row)
    return groups
