"""Build harness/data/antonyms.json from WordNet 3.0 (Debian's `wordnet-base`, /usr/share/wordnet).

    apt-get install wordnet-base && .venv/bin/python training/build_antonyms.py [--wordnet /usr/share/wordnet]

WordNet's antonym pointers (`!`) join word senses; an adjective satellite ("terrible", "superb") has no
antonym of its own but belongs to a head ("bad", "good") that has one, so each satellite also gets its head's
antonyms (the indirect antonyms of WordNet's adjective clusters). Only single lower-case words are kept.
`antonyms` (every part of speech, direct and indirect) serves the antonym check; `direct` (WordNet's own
pairs, per part of speech: a, v, n, r) serves `harness.edits`, whose substitute must be a word of the part of
speech it replaces ("taken" has the verb antonym "give", never the adjective "unaffected"), and `verb_uses`
(which of those verbs take a direct object, from WordNet's verb frames) lets it keep the verb's valency.
The output is deterministic (sorted) and carries WordNet's licence notice, which its licence requires.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

POS_FILES = {"a": "data.adj", "s": "data.adj", "n": "data.noun", "v": "data.verb", "r": "data.adv"}
NOTICE = (
    "Derived from WordNet 3.0 by training/build_antonyms.py. WordNet 3.0 Copyright 2006 by Princeton University. "
    'All rights reserved. THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO '
    "REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON UNIVERSITY "
    "MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANTABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE "
    "OF THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, "
    "TRADEMARKS OR OTHER RIGHTS. The name of Princeton University or Princeton may not be used in advertising or "
    "publicity pertaining to distribution of the software and/or database. Title to copyright in this software, "
    "database and any associated documentation shall at all times remain with Princeton University and LICENSEE "
    "agrees to preserve same."
)


def read_synsets(folder: Path) -> dict[tuple[str, str], dict]:
    """(file, offset) -> {words, type, pointers} for every synset line of the data files."""
    synsets = {}
    for name in sorted(set(POS_FILES.values())):
        for line in (folder / name).read_text("latin-1").splitlines():
            if line.startswith(" "):
                continue  # licence header
            fields = line.split(" | ")[0].split()
            offset, ss_type, count = fields[0], fields[2], int(fields[3], 16)
            words = [fields[4 + 2 * i].lower() for i in range(count)]
            at = 4 + 2 * count
            pointers = [tuple(fields[at + 1 + 4 * i : at + 5 + 4 * i]) for i in range(int(fields[at]))]
            frames = []  # verbs only: (frame number, word number; 0 = every word of the synset)
            if ss_type == "v":
                at += 1 + 4 * int(fields[at])
                frames = [
                    (int(fields[at + 2 + 3 * i]), int(fields[at + 3 + 3 * i], 16)) for i in range(int(fields[at]))
                ]
            synsets[(name, offset)] = {"words": words, "type": ss_type, "pointers": pointers, "frames": frames}
    return synsets


def lexical_antonyms(synsets: dict):
    """(synset key, synset, its words, their opposites) for every antonym pointer (`!`) of WordNet."""
    for key, synset in synsets.items():
        for symbol, offset, pos, source_target in synset["pointers"]:
            if symbol != "!":
                continue
            source, target = int(source_target[:2], 16), int(source_target[2:], 16)
            other = synsets[(POS_FILES[pos], offset)]["words"]
            words = synset["words"] if source == 0 else [synset["words"][source - 1]]
            yield key, synset, words, other if target == 0 else [other[target - 1]]


def antonyms(synsets: dict) -> dict[str, set[str]]:
    """word -> antonyms, direct (lexical `!` pointers) and, for adjective satellites, their head's."""
    found: dict[str, set[str]] = defaultdict(set)
    direct: dict[tuple[str, str], set[str]] = defaultdict(set)  # synset -> antonym words of its members
    for key, _, words, opposites in lexical_antonyms(synsets):
        for word in words:
            found[word].update(opposites)
        direct[key].update(opposites)
    for key, synset in synsets.items():
        if synset["type"] != "s":
            continue
        heads = [(POS_FILES[pos], offset) for symbol, offset, pos, _ in synset["pointers"] if symbol == "&"]
        for head in heads:
            for word in synset["words"]:
                found[word].update(direct.get(head, ()))
    return found


def direct_pairs(synsets: dict) -> dict[str, dict[str, set[str]]]:
    """part of speech (a, v, n, r) -> word -> its direct antonyms of that part of speech (lexical `!` pointers)."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for _, synset, words, opposites in lexical_antonyms(synsets):
        pos = "a" if synset["type"] == "s" else synset["type"]
        for word in words:
            for opposite in opposites:
                a, b = clean(word), clean(opposite)
                if a.isalpha() and b.isalpha() and a != b:
                    found[pos][a].add(b)
                    found[pos][b].add(a)
    return found


# WordNet's verb frames (wninput(5WN)): 8 "Somebody ----s something" ... take a direct object; 1 "Something
# ----s", 2 "Somebody ----s", 22 "Somebody ----s PP" ... need none.
OBJECT_FRAMES = frozenset({8, 9, 10, 11, 14, 15, 16, 17, 18, 19, 20, 21, 24, 25, 30, 31})
NO_OBJECT_FRAMES = frozenset({1, 2, 3, 4, 12, 13, 22, 23, 27})


def verb_uses(synsets: dict, verbs: set[str]) -> dict[str, list[str]]:
    """Of `verbs`, which can take a direct object ("transitive") and which can stand without ("intransitive"),
    from the frames of any of their senses: an antonym must fit the sentence's verb ("left the port" has no
    antonym "arrived the port")."""
    uses: dict[str, set[str]] = {"transitive": set(), "intransitive": set()}
    for synset in synsets.values():
        for frame, word_number in synset["frames"]:
            for word in synset["words"] if word_number == 0 else [synset["words"][word_number - 1]]:
                word = clean(word)
                if word in verbs:
                    if frame in OBJECT_FRAMES:
                        uses["transitive"].add(word)
                    if frame in NO_OBJECT_FRAMES:
                        uses["intransitive"].add(word)
    return {use: sorted(words) for use, words in uses.items()}


def clean(word: str) -> str:
    return word.split("(")[0]  # adjective markers: "good(a)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "harness/data/antonyms.json")
    args = parser.parse_args()
    synsets = read_synsets(args.wordnet)
    table: dict[str, set[str]] = defaultdict(set)
    for word, opposites in antonyms(synsets).items():
        for opposite in opposites:
            a, b = clean(word), clean(opposite)
            if a.isalpha() and b.isalpha() and a != b:
                table[a].add(b)
                table[b].add(a)
    direct = {pos: {w: sorted(words[w]) for w in sorted(words)} for pos, words in sorted(direct_pairs(synsets).items())}
    uses = verb_uses(synsets, set(direct["v"]))
    document = {
        "notice": NOTICE,
        "antonyms": {w: sorted(table[w]) for w in sorted(table)},
        "direct": direct,
        "verb_uses": uses,
    }
    args.out.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"{len(table)} words with antonyms -> {args.out}")


if __name__ == "__main__":
    main()
