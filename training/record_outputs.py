"""Record the shipped cross-encoder's outputs on fixed pairs, for tests/test_crossencoder.py to reproduce.

    .venv/bin/python training/record_outputs.py

The pairs are the hand-written story twins (tests/data/story_twins.json): each supported claim and its
perturbed twin against their premise. Re-run after retraining, and commit the result with the model.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness.runtime.cross_encoders import CrossEncoder

ROOT = Path(__file__).resolve().parents[1]

TWINS = ROOT / "tests/data/story_twins.json"
OUT = ROOT / "tests/data/crossencoder_recorded.json"


def main() -> None:
    twins = json.loads(TWINS.read_text("utf-8"))["twins"]
    pairs = [(t["premise"], claim) for t in twins for claim in (t["supported"], t["twin"])]
    encoder = CrossEncoder()
    probs = encoder.predict_pairs(pairs)
    OUT.write_text(
        json.dumps(
            {
                "model_sha256_16": encoder.fingerprint,
                "pairs": [{"premise": p, "claim": c, "p": round(float(x), 5)} for (p, c), x in zip(pairs, probs)],
            },
            indent=1,
            ensure_ascii=False,
        )
        + "\n",
        "utf-8",
    )
    ranked = sum(probs[2 * i] > probs[2 * i + 1] for i in range(len(twins)))
    print(f"wrote {OUT}: supported ranked above its twin in {ranked} of {len(twins)}")
    for t, i in zip(twins, range(len(twins))):
        print(f"{t['kind']:>9} {probs[2 * i]:.3f} {probs[2 * i + 1]:.3f}")


if __name__ == "__main__":
    main()
