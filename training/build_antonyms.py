"""Build harness/data/antonyms.json from WordNet 3.0 (Debian's `wordnet-base`, /usr/share/wordnet).

    apt-get install wordnet-base && .venv/bin/python training/build_antonyms.py [--wordnet /usr/share/wordnet]

WordNet's antonym pointers (`!`) join word senses; an adjective satellite ("terrible", "superb") has no
antonym of its own but belongs to a head ("bad", "good") that has one, so each satellite also gets its head's
antonyms (the indirect antonyms of WordNet's adjective clusters). Only single lower-case words are kept.
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
            synsets[(name, offset)] = {"words": words, "type": ss_type, "pointers": pointers}
    return synsets


def antonyms(synsets: dict) -> dict[str, set[str]]:
    """word -> antonyms, direct (lexical `!` pointers) and, for adjective satellites, their head's."""
    found: dict[str, set[str]] = defaultdict(set)
    direct: dict[tuple[str, str], set[str]] = defaultdict(set)  # synset -> antonym words of its members
    for key, synset in synsets.items():
        for symbol, offset, pos, source_target in synset["pointers"]:
            if symbol != "!":
                continue
            source, target = int(source_target[:2], 16), int(source_target[2:], 16)
            other = synsets[(POS_FILES[pos], offset)]["words"]
            words = synset["words"] if source == 0 else [synset["words"][source - 1]]
            opposites = other if target == 0 else [other[target - 1]]
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


def clean(word: str) -> str:
    return word.split("(")[0]  # adjective markers: "good(a)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "harness/data/antonyms.json")
    args = parser.parse_args()
    table: dict[str, set[str]] = defaultdict(set)
    for word, opposites in antonyms(read_synsets(args.wordnet)).items():
        for opposite in opposites:
            a, b = clean(word), clean(opposite)
            if a.isalpha() and b.isalpha() and a != b:
                table[a].add(b)
                table[b].add(a)
    document = {"notice": NOTICE, "antonyms": {w: sorted(table[w]) for w in sorted(table)}}
    args.out.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"{len(table)} words with antonyms -> {args.out}")


if __name__ == "__main__":
    main()
