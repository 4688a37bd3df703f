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
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from harness import edits
from harness.checks.meaning import antonym_table
from harness.checks.names import nlp
from harness.config import Config
from harness.document import Story
from harness.evaluator import StoryEvaluator
from harness.models import load_models
from harness.registry import CAUGHT, FAILING, KINDS, SUPPORTED
from harness.report import atomic_write_text, spreadsheet_safe
from harness.scorer import as_document
from harness.text import split_sentences, words

SYNONYMS = {
    "said": "stated",
    "says": "states",
    "began": "started",
    "begin": "start",
    "begun": "started",
    "about": "approximately",
    "many": "numerous",
    "also": "additionally",
    "however": "but",
    "people": "individuals",
    "freed": "released",
    "released": "freed",
    "among": "amongst",
    "help": "assist",
    "helped": "assisted",
    "told": "informed",
    "big": "large",
    "large": "big",
    "main": "principal",
    "quickly": "rapidly",
    "show": "demonstrate",
    "showed": "demonstrated",
    "shows": "demonstrates",
    "buy": "purchase",
    "bought": "purchased",
    "try": "attempt",
    "tried": "attempted",
    "end": "conclusion",
    "near": "close to",
    "whole": "entire",
}
SUBORDINATORS = ("after", "before", "when", "while", "because", "since", "although", "as", "despite", "following")
KEEP_ADVERBS = frozenset(
    "only early nearly likely reportedly allegedly apparently supposedly family rally ally reply apply supply "
    "july italy daily weekly monthly yearly fly".split()
)
MIN_WORDS, MAX_WORDS = 8, 45  # sentences a probe uses: long enough to state a fact, short enough to be one


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion: sensible at 0, 1 and small n, unlike the normal one."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


COMMON_FIRST_WORDS = frozenset("the a an it this that these those they he she we there some its their his her".split())


def _lower_first(text: str) -> str:
    """Lower-case a clause's first word when it moves inside a sentence, unless it may be a name."""
    first = text.split()[0]
    return text[:1].lower() + text[1:] if first.lower() in COMMON_FIRST_WORDS else text


def reorder(sentence: str) -> str | None:
    """Move a leading subordinate clause ("After X, Y.") to the end, or a trailing one to the front."""
    body = sentence.rstrip(" .")
    joined = "|".join(SUBORDINATORS)
    lead = re.match(rf"^((?:{joined})\b[^,]{{3,}}),\s+(.+)$", body, re.IGNORECASE)
    if lead:
        clause, main = lead.group(1), lead.group(2)
        return f"{main[:1].upper()}{main[1:]} {clause[:1].lower()}{clause[1:]}."  # a subordinator is no name
    trail = re.search(rf",?\s+((?:{joined})\b[^,]{{3,}})$", body, re.IGNORECASE)
    if trail and trail.start() > 10:
        main, clause = body[: trail.start()], trail.group(1)
        return f"{clause[:1].upper()}{clause[1:]}, {_lower_first(main)}."
    return None


def synonym(sentence: str) -> str | None:
    for match in re.finditer(r"[A-Za-z]+", sentence):
        word = match.group(0)
        replacement = SYNONYMS.get(word.lower())
        if replacement:
            if word[:1].isupper():
                replacement = replacement[:1].upper() + replacement[1:]
            return sentence[: match.start()] + replacement + sentence[match.end() :]
    return None


def drop_modifier(sentence: str) -> str | None:
    """Drop a parenthetical, or else the first -ly adverb that is not a hedge or a noun."""
    paren = re.search(r"\s*\([^()]{2,80}\)", sentence)
    if paren:
        return sentence[: paren.start()] + sentence[paren.end() :]
    for match in re.finditer(r"\s([a-z]{4,}ly)\b", sentence):
        if match.group(1) not in KEEP_ADVERBS:
            return sentence[: match.start()] + sentence[match.end() :]
    return None


QUOTE = re.compile(r"[\"“]([^\"”]{8,})[\"”]")


def alter_quote(sentence: str, vocabulary: list[str], rng: random.Random) -> str | None:
    """Replace the longest word inside a quotation with another word of the story (a misquotation)."""
    quoted = QUOTE.search(sentence)
    if not quoted or not vocabulary:
        return None
    inner = list(re.finditer(r"[A-Za-z]{4,}", quoted.group(1)))
    if not inner:
        return None
    target = max(inner, key=lambda m: len(m.group(0)))
    choices = [w for w in vocabulary if w.lower() != target.group(0).lower()]
    new = choices[rng.randrange(len(choices))]
    start = quoted.start(1) + target.start()
    return sentence[:start] + new + sentence[start + len(target.group(0)) :]


@dataclass
class Probe:
    """One variant of one source sentence: what the judge is shown and what it should say."""

    story: str
    sentence_id: str
    kind: str
    original: str
    text: str

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
    """The probes of every story (at most `max_sentences` sentences each, chosen by `seed`) and, per kind,
    how many were made and how many skipped because the edit could not be made on the sentence."""
    table = antonym_table()
    pipeline = nlp()
    counts = {k: {"made": 0, "skipped": 0} for k in kinds}
    probes: list[Probe] = []
    pools = {s.story_id: usable_sentences(s) for s in stories}
    for story in stories:
        rng = random.Random(f"{seed}-{story.story_id}")
        sentences = pools[story.story_id]
        chosen = rng.sample(sentences, min(max_sentences, len(sentences)))
        source_docs = list(pipeline.pipe([d.content_text[:100_000] for d in story.references]))
        entities = [(e.text, e.label_) for doc in source_docs for e in doc.ents]
        vocabulary = sorted({w for d in story.references for w in re.findall(r"[a-z]{5,}", d.content_text)})
        others = [s for sid, pool in pools.items() if sid != story.story_id for s in pool]
        for n, (sentence, doc) in enumerate(zip(chosen, pipeline.pipe(chosen)), start=1):
            makers: dict[str, Callable[[], str | None]] = {
                "original": lambda: sentence,
                "reorder": lambda: reorder(sentence),
                "synonym": lambda: synonym(sentence),
                "drop_modifier": lambda: drop_modifier(sentence),
                "negation": lambda: edits.negate(sentence),
                "antonym": lambda: edits.antonym(sentence, table),
                "entity": lambda: edits.swap_entity(doc, entities, rng),
                "roles": lambda: edits.swap_roles(doc),
                "number": lambda: edits.change_number(sentence, rng),
                "date": lambda: edits.change_date(sentence, rng),
                "quote": lambda: alter_quote(sentence, vocabulary, rng),
                "other_story": lambda: f"{sentence} {others[rng.randrange(len(others))]}" if others else None,
            }
            for kind in kinds:
                text = makers[kind]()
                if text is None or (kind != "original" and text == sentence):
                    counts[kind]["skipped"] += 1
                    continue
                counts[kind]["made"] += 1
                probes.append(Probe(story.story_id, f"{story.story_id}/s{n}", kind, sentence, text))
    return probes, counts


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
    evaluators = {s.story_id: StoryEvaluator(s, models.embedder, models.judge, config) for s in stories}
    rows = []
    for i, probe in enumerate(tqdm(probes, desc=f"probe {judge}", unit="variant", disable=None if progress else True)):
        result = evaluators[probe.story].evaluate(as_document(probe.text, f"probe{i}"))
        scored = [(c, j) for c, j in zip(result.claims, result.judgements) if not c.is_artefact]
        verdicts = [j.verdict for _, j in scored]
        rows.append(
            {
                "judge": judge,
                "story": probe.story,
                "sentence": probe.sentence_id,
                "kind": probe.kind,
                "expect": probe.expect,
                "original": probe.original,
                "variant": probe.text,
                "verdicts": " ".join(verdicts) or "no scorable claim",
                "p_support": min((j.p_support for _, j in scored if j.p_support is not None), default=None),
                "failed_checks": "; ".join(c.label() for _, j in scored for c in j.failed_checks),
                "ok": outcome(probe, verdicts),
            }
        )
    return rows


def summarise(rows: list[dict[str, Any]], counts: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """Per judge and kind: n, rate (catch rate or acceptance rate), its Wilson interval, and skipped edits."""
    table = []
    for judge in dict.fromkeys(r["judge"] for r in rows):
        for kind in counts:
            mine = [r for r in rows if r["judge"] == judge and r["kind"] == kind]
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
                }
            )
    return table


def console_table(summary: list[dict[str, Any]]) -> str:
    lines = [f"{'judge':<14} {'edit':<14} {'expects':<9} {'n':>4} {'rate':>6}  {'95% CI':<13} {'skipped':>7}"]
    for row in summary:
        rate = "–" if row["rate"] is None else f"{row['rate']:.0%}"
        ci = "–" if row["n"] == 0 else f"{row['ci_low']:.0%}–{row['ci_high']:.0%}"
        lines.append(
            f"{row['judge']:<14} {row['kind']:<14} {row['expect']:<9} {row['n']:>4} {rate:>6}  {ci:<13} {row['skipped']:>7}"
        )
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
    misses = [r for r in rows if not r["ok"]]
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
