"""Key-fact coverage: which of a story's key facts a candidate carries, and the weighted share covered.

Hand-written facts are matched to claims: the best claim by blended evidence score, above a threshold, and
containing every `must_mention` term. Facts from reference summaries and derived facts (harness.keyfacts) are
judged in reverse: the candidate is the source and the fact is the claim, with the same evidence search,
checks and judge, so a fact with another number is not covered. Such a fact is `covered` when judged
supported, and adds the judge's p_support to weighted coverage: the expected share of the facts the candidate
states (a graded credit ranks summaries better than a yes/no).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.checks.base import SourceFacts
from harness.claims import Claim
from harness.document import Document, KeyFact
from harness.evidence import build_index
from harness.registry import SUPPORTED
from harness.text import lexical_support, words


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
    fact_id: str
    covered: bool
    claim_id: str
    claim: str
    score: float
    credit: float | None = None  # what the fact adds to weighted coverage; None: 1 if covered, else 0

    @property
    def value(self) -> float:
        return float(self.covered) if self.credit is None else self.credit


def key_fact_coverage(
    facts: list[KeyFact],
    claims: list[Claim],
    similarity: np.ndarray,
    threshold: float,
    lexical_weight: float,
    refuted: set[int] = frozenset(),
) -> list[FactMatch]:
    """Match each key fact to its best claim; `similarity` is facts x claims cosine. Claims whose indices are
    in `refuted` (judged contradicted by the sources) never cover a fact: "fishermen supported the plan" is
    close in words to "fishermen opposed the plan" but says the opposite."""
    content = [i for i, c in enumerate(claims) if not c.is_artefact and i not in refuted]
    matches = []
    for f_index, fact in enumerate(facts):
        best: tuple[float, int] | None = None
        for c_index in content:
            claim = claims[c_index]
            if fact.must_mention and not mentions_all(claim.match_text, fact.must_mention):
                continue
            lexical = lexical_support(fact.text, claim.match_text)
            score = (1 - lexical_weight) * float(similarity[f_index, c_index]) + lexical_weight * lexical
            if best is None or score > best[0]:
                best = (score, c_index)
        if best is None:
            matches.append(FactMatch(fact.fact_id, False, "", "", 0.0))
        else:
            claim = claims[best[1]]
            matches.append(FactMatch(fact.fact_id, best[0] >= threshold, claim.claim_id, claim.text, round(best[0], 4)))
    return matches


def coverage_metrics(facts: list[KeyFact], matches: list[FactMatch]) -> dict[str, Any]:
    if not facts:
        return {"key_facts": 0, "key_facts_covered": None, "coverage": None, "weighted_coverage": None}
    covered = [f for f, m in zip(facts, matches) if m.covered]
    return {
        "key_facts": len(facts),
        "key_facts_covered": len(covered),
        "coverage": len(covered) / len(facts),
        "weighted_coverage": sum(f.weight * m.value for f, m in zip(facts, matches)) / sum(f.weight for f in facts),
    }


def judged_coverage(
    facts: list[KeyFact], candidate: Document, claims: list, story_date: str | None, embedder, judge, config
) -> list:
    """Each fact judged against the candidate as its only source: covered when the judge finds it supported
    there. The match names the candidate claim that holds the fact's best evidence."""
    if not facts:
        return []
    index = build_index([candidate], embedder, config)
    sources = SourceFacts.of_passages(index.passages, story_date)
    as_claims = [
        Claim(f.fact_id, "", candidate.doc_id, candidate.system, f.text, 0, len(f.text), "paragraph", f.kind)
        for f in facts
    ]
    evidence = index.search(as_claims)
    matches = []
    for fact, found, judgement in zip(facts, evidence, judge.judge(as_claims, evidence, sources)):
        holder = next((c for c in claims if found and c.start <= found[0].passage.start < c.end), None)
        p = round(float(judgement.p_support or 0.0), 4)
        matches.append(
            FactMatch(
                fact.fact_id,
                judgement.verdict == SUPPORTED,
                holder.claim_id if holder else "",
                holder.text if holder else "",
                p,
                credit=p,
            )
        )
    return matches
