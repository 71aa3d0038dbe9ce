"""Smaller and faster variants of a trained run: int8 quantization, pruning, distillation and
ONNX Runtime export. Each command reads a run folder and writes a new, ordinary run folder
(model.json's ``variant`` says what was done) that `shendu.load`, `evaluate`, `predict` and
`compare` use like any other."""
