"""The loaded models: sentence embeddings (embeddings.py, on onnxruntime through onnx_embedder.py) and the ONNX
cross-encoders (cross_encoders.py: the runtime and its pair cache; model_files.py: which files a model is;
output_head.py: its logits -> probabilities; onnx_export.py: the int8 export training uses). They know nothing
of claims or verdicts, so every stage above may use them."""
