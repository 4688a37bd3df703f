"""Key-fact coverage: which of a story's key facts a candidate states, read by an NLI model, and the weighted
share it states.

Every key fact, whatever its kind (hand-written in story.yaml, a sentence of a declared reference summary, or
derived from the articles by harness.evaluation.keyfacts), is read the same way, as the Pyramid method's automatic forms
(Lite2Pyramid) and RoSE's atomic content units read a reference's content: the fact is the hypothesis, and the
candidate's sentences nearest to it, and the windows of two around them when no single one entails it (a fact
the candidate states across a sentence break), are premises (CoverageReader.read). The fact is `covered` when one
premise entails it (p(entailment) at least the coverage threshold), a hand-written fact only by a premise holding
its `must_mention` terms.

A fact adds its `credit` to weighted coverage: the mean of the model's best p(entailment) and the share of the
fact's content words the candidate uses (p(entailment) alone for a fact in a script whose words harness.text
does not count). Why both: on SummEval (1,600 summaries, experts' relevance) the model alone ranks summaries at
Spearman .288, the words alone at .309, their mean at .314 (benchmarks/coverage_ablation.py); the model misses
paraphrase it was not trained for and the words miss a changed relation. A fact the candidate shares under
MIN_WORD_SHARE of its content words with is not read at all (p = 0, and the match says why): on SummEval that
spares a third of the reads, and the few such facts the model did read as entailed (111 of 4,361) were mostly its
mistakes. Two things the model reads poorly are decided as the judge decides them: a fact whose number, date or
quotation the candidate states otherwise (a decisive check's conflict, harness.checks, with the candidate as the
source) is not covered and earns a tenth of its p(entailment), no credit for its words; one with a detail the
candidate never states is not covered and its p(entailment) counts three tenths. And a candidate claim the
sources contradict never covers a fact: "fishermen supported the plan" is close in words to "fishermen opposed
the plan" but says the opposite. Every fact not covered carries a `reason`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.checks import run_checks
from harness.checks.declaration import CONFLICT, MISSING, SourceFacts
from harness.document import KeyFact
from harness.judges.contract import decisive_failure_kind
from harness.judges.reader import MODEL_POSITIONS
from harness.reading.claims import Claim
from harness.runtime.cross_encoders import CrossEncoder
from harness.text import content_tokens, lexical_support, words


def mentions_all(text: str, terms: list[str]) -> bool:
    """Every term occurs in the text, ignoring case and accents. 'a|b' accepts either; a term of four or
    more letters matches as a word prefix ('releas' matches 'releasing'), a shorter one as a whole word."""
    folded = " ".join(words(text))

    def found(alternative: str) -> bool:
        term = " ".join(words(alternative))
        tail = "" if len(term) >= 4 else r"\b"
        return bool(term) and re.search(rf"\b{re.escape(term)}{tail}", folded) is not None

    return all(any(found(alt) for alt in term.split("|")) for term in terms)


@dataclass
class FactMatch:
    """How one key fact fared against one candidate. `claim_id`/`claim` name the candidate claim that opens
    the premise that entails the fact best (empty when no premise could be read); `premise` is that text (one
    claim, or two adjacent ones); `score` its p(entailment); `lexical` the share of the fact's content words the
    candidate uses; `credit` what the fact adds to weighted coverage."""

    fact_id: str
    covered: bool
    claim_id: str
    claim: str
    score: float
    credit: float = 0.0
    premise: str = ""
    lexical: float | None = None
    reason: str = ""  # why it was not read, a fact check's failure, or its p under the threshold (CoverageReader._why)


@dataclass(frozen=True)
class Premise:
    """A candidate sentence, or two adjacent ones, and the claims it is made of."""

    text: str
    claims: tuple[Claim, ...]


def candidate_premises(usable: list[Claim], chosen: list[int] | None = None) -> list[Premise]:
    """The claims at the `chosen` positions of `usable` (all of them when None) alone, then each with the
    claim before and after it, in order and without repeats."""
    positions = range(len(usable)) if chosen is None else sorted(chosen)
    singles = [Premise(usable[i].match_text, (usable[i],)) for i in positions]
    starts = dict.fromkeys(j for i in positions for j in (i - 1, i) if 0 <= j < len(usable) - 1)
    pairs = [Premise(f"{usable[j].match_text} {usable[j + 1].match_text}", (usable[j], usable[j + 1])) for j in starts]
    return singles + pairs


FACT_CHECKS = ("number", "date", "quote")  # the checks that decide coverage: what the NLI model reads worst
MIN_WORD_SHARE = 0.2  # a fact sharing fewer of its content words with the candidate is not read (p = 0)
NEAREST = 2  # claims a fact is read against (with the windows around them) when the reader is given nearness;
# on SummEval 2 ranks summaries as 4 did (Spearman .361 and .360) with a quarter less time


def found_checks(results: list) -> str:
    """The failed checks' names, for a FactMatch's reason."""
    return ", ".join(sorted({r.check for r in results if r.kind in (CONFLICT, MISSING)}))


def mentions_bonus(fact: KeyFact, claim: Claim) -> float:
    """A claim holding every must_mention term of a hand-written fact ranks before any that does not."""
    return 2.0 if fact.must_mention and mentions_all(claim.match_text, fact.must_mention) else 0.0


class CoverageReader:
    """(key facts, a candidate's claims) -> one FactMatch per fact, every (premise, fact) pair of a candidate
    in one model call; the model's scores are cached by harness.runtime.cross_encoders, so a warm run computes none."""

    def __init__(self, encoder: CrossEncoder, threshold: float):
        self.encoder, self.threshold = encoder, threshold

    def read(
        self,
        facts: list[KeyFact],
        claims: list[Claim],
        refuted: set[int] = frozenset(),
        story_date: str | None = None,
        nearness: np.ndarray | None = None,
    ) -> list[FactMatch]:
        """A FactMatch per fact. Artefacts and claims whose indices are in `refuted` (the sources contradict
        them) are never premises. With `nearness` (facts x claims, e.g. embedding cosine), a fact is read only
        against its NEAREST closest claims and the windows around them, as the judge's reader reads a claim
        only against its best evidence: a long candidate then costs facts x NEAREST x 3 pairs, not facts x
        sentences x 2. As there, windows are read only for a fact no single claim entails (p below the
        threshold): a fact one sentence states gains nothing from them, at twice the cost."""
        if not facts:
            return []
        positions = [i for i, c in enumerate(claims) if not c.is_artefact and i not in refuted]
        usable = [claims[i] for i in positions]
        sentences = [c.match_text for c in usable]
        content, sources = " ".join(sentences), SourceFacts(sentences, story_date)
        # None: the fact has no words the harness counts (another script): read by the model alone
        lexical = {f.fact_id: lexical_support(f.text, content) if content_tokens(f.text) else None for f in facts}
        counts: dict[str, int] = {}  # word pieces per premise text, counted once per candidate
        readable, unread = {}, {}
        for row, fact in enumerate(facts):
            premises: list[Premise] = []
            why = self._skipped(usable, lexical[fact.fact_id])
            if not why:
                chosen = None
                if nearness is not None and len(usable) > NEAREST:
                    closeness = [float(nearness[row, i]) + mentions_bonus(fact, c) for i, c in zip(positions, usable)]
                    chosen = sorted(range(len(usable)), key=lambda k: -closeness[k])[:NEAREST]
                premises = self._readable(fact, candidate_premises(usable, chosen), counts)
                why = "" if premises else self._no_premise(fact)
            readable[fact.fact_id], unread[fact.fact_id] = premises, why
        scored = self._scores(facts, {k: [p for p in v if len(p.claims) == 1] for k, v in readable.items()})
        unsure = {
            f.fact_id: [p for p in readable[f.fact_id] if len(p.claims) == 2]
            for f in facts
            if max((score for score, _ in scored[f.fact_id]), default=0.0) < self.threshold
        }
        for fact_id, more in self._scores(facts, unsure).items():
            scored[fact_id] += more
        return [self._match(f, scored[f.fact_id], lexical[f.fact_id], sources, unread[f.fact_id]) for f in facts]

    @staticmethod
    def _skipped(usable: list[Claim], lexical: float | None) -> str:
        """Why a fact is not worth reading against the candidate at all (its p(entailment) is then 0), or ''."""
        if not usable:
            return "not read: the candidate has no content sentence (none, only artefacts, or all refuted)"
        if lexical is not None and lexical < MIN_WORD_SHARE:
            return f"not read: the candidate uses {lexical:.0%} of its content words (under {MIN_WORD_SHARE:.0%})"
        return ""

    @staticmethod
    def _no_premise(fact: KeyFact) -> str:
        """Why a fact worth reading had no premise to be read against."""
        if fact.must_mention:
            return "not read: no candidate sentence holds its must_mention terms"
        return "not read: no candidate sentence fits the model with it"

    def _why(self, failure: str, found: list, p: float, lexical: float | None) -> str:
        """What a user needs to know about a fact that was read: a fact check's failure, a p(entailment) under
        the threshold, a word share that could not be counted; '' for a covered fact with nothing to add."""
        if failure == CONFLICT:
            return f"the candidate states it otherwise ({found_checks(found)})"
        if failure == MISSING:
            return f"the candidate leaves out a detail of it ({found_checks(found)})"
        if p < self.threshold:
            return f"read: best p(entailment) {p:.2f}, under the threshold {self.threshold:g}"
        if lexical is None:
            return "its words are in a script the word share does not count: credit is p(entailment) alone"
        return ""

    def _scores(
        self, facts: list[KeyFact], premises: dict[str, list[Premise]]
    ) -> dict[str, list[tuple[float, Premise]]]:
        """(p(entailment), premise) for each fact's premises, every pair in one model call."""
        wanted = [f for f in facts if f.fact_id in premises]
        pairs = [(p.text, f.text) for f in wanted for p in premises[f.fact_id]]
        entailment = iter(self.encoder.predict_pairs(pairs) if pairs else [])
        return {f.fact_id: [(float(next(entailment)), p) for p in premises[f.fact_id]] for f in wanted}

    def _readable(self, fact: KeyFact, premises: list[Premise], counts: dict[str, int]) -> list[Premise]:
        """The premises this fact may be read against: those holding its must_mention terms, that fit the model
        with it (a two-sentence premise may not; a single claim is at most MAX_CLAIM_WORDS words). `counts`
        keeps each premise's word pieces across the candidate's facts."""
        budget = MODEL_POSITIONS - self.encoder.count(fact.text)
        for p in premises:
            if p.text not in counts:
                counts[p.text] = self.encoder.count(p.text)
        return [
            p
            for p in premises
            if (not fact.must_mention or mentions_all(p.text, fact.must_mention)) and counts[p.text] <= budget
        ]

    def _match(
        self,
        fact: KeyFact,
        scored: list[tuple[float, Premise]],
        lexical: float | None,
        sources: SourceFacts,
        unread: str,
    ) -> FactMatch:
        best_p, best = max(scored, key=lambda item: item[0], default=(0.0, None))
        opener = best.claims[0] if best else None
        found = run_checks(fact.text, sources, best.text, only=FACT_CHECKS) if best else []
        failure = decisive_failure_kind(found)
        p = best_p * {CONFLICT: 0.1, MISSING: 0.3}.get(failure, 1.0)
        credit = p if failure == CONFLICT or lexical is None else (p + lexical) / 2
        return FactMatch(
            fact.fact_id,
            p >= self.threshold,
            opener.claim_id if opener else "",
            opener.text if opener else "",
            round(p, 4),
            credit=round(credit, 4),
            premise=best.text if best else "",
            lexical=None if lexical is None else round(lexical, 4),
            reason=unread or self._why(failure, found, p, lexical),
        )


def coverage_metrics(facts: list[KeyFact], matches: list[FactMatch]) -> dict[str, Any]:
    """`coverage`: the share of facts covered; `weighted_coverage`: the weighted share of credit. With facts of two
    kinds (a reference summary's and derived ones) each kind counts half, whatever its number of facts."""
    if not facts:
        return {"key_facts": 0, "key_facts_covered": None, "coverage": None, "weighted_coverage": None}
    by_kind: dict[str, list[tuple[KeyFact, FactMatch]]] = {}
    for fact, match in zip(facts, matches):
        by_kind.setdefault(fact.kind, []).append((fact, match))
    shares = [sum(m.covered for _, m in pairs) / len(pairs) for pairs in by_kind.values()]
    weighted = [
        sum(f.weight * m.credit for f, m in pairs) / sum(f.weight for f, _ in pairs) for pairs in by_kind.values()
    ]
    return {
        "key_facts": len(facts),
        "key_facts_covered": sum(m.covered for m in matches),
        "coverage": sum(shares) / len(shares),
        "weighted_coverage": sum(weighted) / len(weighted),
    }
