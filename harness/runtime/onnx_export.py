"""A trained model -> the int8 ONNX file the harness ships: how training/ makes the shipped models."""

from __future__ import annotations

from pathlib import Path


def export_int8_onnx(model, sample: dict, out_file: Path, work: Path) -> None:
    """A transformers sequence-classification model -> ONNX (dynamic batch and length) -> int8 dynamic
    quantization, per channel (per-tensor scales moved some probabilities by up to 0.54 from the float model;
    per channel keeps them much closer): how the shipped models are made (training/). `sample` holds
    input_ids, attention_mask and token_type_ids tensors of one encoded pair."""
    import torch  # heavy and optional: exporting is training's, never a run's
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    work.mkdir(parents=True, exist_ok=True)
    float_path = work / "model-float.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(
        model,
        tuple(sample[name] for name in names),
        str(float_path),
        input_names=names,
        output_names=["logits"],
        dynamic_axes={k: {0: "batch", 1: "length"} for k in names} | {"logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(float_path), str(out_file), weight_type=QuantType.QInt8, per_channel=True)
