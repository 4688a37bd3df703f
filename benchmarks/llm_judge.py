"""The LLM judge measured on a SummEdits sample, against a local llama.cpp server with Gemma 3 270M.

    .venv/bin/python benchmarks/llm_judge.py --bench ../shared/bench [--sample 1] [--out /tmp/harness-llm-meta-eval]

Starts `llama-server` from the `llm` extra on 127.0.0.1 (tests/llm_server.py, the tests' launcher), writes a config
with `[judge] name = "llm"` pointing at it, and runs `harness meta-eval` on at most `--sample` rows per (cut,
origin, label) of summedits_all.jsonl: with 1, 32 rows. The 270M model is far too small to judge consistency;
this measures the plumbing and the cost per claim, whatever it scores. Prints the meta-evaluation table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the server launcher lives with the tests

from llm_server import packaged_llama_server

from harness.config import load_config
from harness.measure.metaeval import markdown, run_meta_eval


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, required=True, help="folder holding summedits_all.jsonl")
    parser.add_argument("--sample", type=int, default=1, help="rows per (cut, origin, label)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/harness-llm-meta-eval"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with packaged_llama_server(log=args.out / "llama-server.log") as url:
        toml = args.out / "harness.toml"
        toml.write_text(
            f'[paths]\ncache = "{args.out / "cache"}"\n[judge]\nname = "llm"\n'
            f'options = {{ base_url = "{url}", model = "gemma-3-270m", max_tokens = 64 }}\n',
            "utf-8",
        )
        result = run_meta_eval(args.bench / "summedits_all.jsonl", load_config(toml), args.out, sample=args.sample)
    print(markdown(result))
    usage = result.get("llm_usage", {})
    print(
        f"{result['rows']} rows, {usage.get('requests', 0)} requests, {usage.get('total_tokens', 0)} tokens, "
        f"{result['seconds']['scoring']:.0f} s scoring"
    )


if __name__ == "__main__":
    main()
