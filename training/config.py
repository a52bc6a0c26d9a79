"""Strict, typed training configuration: frozen dataclasses loaded from YAML.

Every method has one top-level dataclass (:class:`Eigen2014Config`, :class:`Xian2018Config`,
:class:`Li2020Config`) whose defaults are the paper's (or, for Li 2020, the official code's)
hyperparameters. Loading is strict: an unknown key raises :class:`ConfigError` naming the full
dotted key; wrong types raise naming the key and the value. Overrides use dotted keys
(``--set optimizer.lr=1e-4``) with YAML-parsed values. Configs are never mutated at run time: an
override builds a new object. :func:`config_to_dict` gives the resolved plain dict that every
checkpoint stores.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import yaml

from mono_depth_ros.core.errors import InputError


class ConfigError(InputError):
    """A configuration key that is unknown, or whose value has the wrong type or range."""


# ----------------------------------------------------------------------------- shared sections
@dataclass(frozen=True)
class DataConfig:
    """Which frames and at what resolution. ``input_hw`` is (height, width) in pixels.

    ``resize_mode``: how a frame is fitted to ``input_hw`` (``mono_depth_ros.core.fit``: crop | pad
    | stretch; the nodes' default). ``augment``: the paper's augmentation for the method.
    ``camera_augment`` (with ``augment``; this project's, not from the papers): what a real camera
    does to a frame: random grayscale (mono8 cameras), brightness/contrast/gamma jitter, mild blur
    and noise, the same for every frame of a sample. ``colour_jitter`` (with ``camera_augment``;
    ours): strength of a random white balance, saturation and hue turn
    (``training.data.augment.colour_matrix``; 0 off, 1: gains +- 20 %, saturation x [0.4, 1.4],
    hue +- 90 deg), so that depth is not read from the renders' colours. ``exposure_metering``
    (with ``camera_augment``; ours): the share of samples metered like a camera's auto exposure,
    their mean luminance put at middle grey +- 1 EV (``training.data.augment.metering_gain``; 0 off).
    """

    input_hw: tuple[int, int] = (128, 416)
    train_split: str = "train"
    val_split: str = "val"
    augment: bool = True
    resize_mode: str = "crop"
    camera_augment: bool = True
    colour_jitter: float = 0.0
    exposure_metering: float = 0.0


@dataclass(frozen=True)
class TrainerConfig:
    """The generic loop (Lightning). ``gradient_clip_norm`` 0 disables clipping.

    precision: Lightning precision string ("32-true", "16-mixed", "bf16-mixed").
    accelerator / devices: Lightning's ("auto" picks a GPU when there is one); DDP is used by
    Lightning's defaults when launched with torchrun or under SLURM; ``num_nodes``: machines
    (Lightning's ``Trainer(num_nodes=...)``, each with ``devices`` processes).
    ``init_from``: start the networks from these weights instead of random ones (``bundled``: the
    package's weights; a folder of ``<spec>.pt`` files; a model ``.pt``; a Lightning ``.ckpt``),
    '' for none; shapes must match exactly (``training.loop.initialise_from``).
    """

    max_steps: int = 100000
    batch_size: int = 8
    num_workers: int = 2
    precision: str = "32-true"
    gradient_clip_norm: float = 0.0
    log_every_n_steps: int = 20
    val_every_n_steps: int = 1000
    val_batches: int = 10
    checkpoint_every_n_steps: int = 1000
    accelerator: str = "auto"
    devices: str = "auto"
    num_nodes: int = 1
    seed: int = 0
    init_from: str = ""


# ----------------------------------------------------------------------------- Eigen 2014
@dataclass(frozen=True)
class Eigen2014Model:
    variant: str = "paper"
    #: none (random) | imagenet (variant lite0 only: the coarse network's ImageNet-trained encoder)
    encoder_init: str = "none"


@dataclass(frozen=True)
class Eigen2014Loss:
    """Scale-invariant log loss weight on the squared-mean term (paper: lambda = 0.5)."""

    lambda_si: float = 0.5


@dataclass(frozen=True)
class Eigen2014Weights:
    scale_invariant: float = 1.0


@dataclass(frozen=True)
class Eigen2014Optimizer:
    """SGD with momentum and the paper's per-layer learning rates (Eigen et al. 2014, sec. 3.3).

    Coarse: conv layers 0.001, the two fully connected layers 0.1. Fine: layers 1 and 3 0.001,
    layer 2 0.01. ``kind``: ``sgd`` (the paper) or ``adam`` (ours: Adam over the same per-layer
    groups and rates, which then need Adam-sized values, e.g. 1e-4; ``momentum`` unused).
    """

    kind: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 0.0
    lr_coarse_conv: float = 0.001
    lr_coarse_fc: float = 0.1
    lr_fine_layer1: float = 0.001
    lr_fine_layer2: float = 0.01
    lr_fine_layer3: float = 0.001


@dataclass(frozen=True)
class Eigen2014Schedule:
    """Coarse stage for ``coarse_steps`` steps, then the fine stage (coarse frozen) to max_steps."""

    coarse_steps: int = 62500  # paper: 2M samples at batch 32


@dataclass(frozen=True)
class Eigen2014Config:
    method: str = "eigen2014"
    model: Eigen2014Model = field(default_factory=Eigen2014Model)
    data: DataConfig = field(default_factory=lambda: DataConfig(input_hw=(228, 304)))
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(max_steps=109375, batch_size=32))
    loss: Eigen2014Loss = field(default_factory=Eigen2014Loss)
    loss_weights: Eigen2014Weights = field(default_factory=Eigen2014Weights)
    optimizer: Eigen2014Optimizer = field(default_factory=Eigen2014Optimizer)
    schedule: Eigen2014Schedule = field(default_factory=Eigen2014Schedule)


# ----------------------------------------------------------------------------- Xian 2018
@dataclass(frozen=True)
class Xian2018Model:
    variant: str = "paper"
    #: none (random) | imagenet (variant lite0 only: ImageNet-trained encoder, training.pretrained)
    encoder_init: str = "none"


@dataclass(frozen=True)
class Xian2018Loss:
    """Ranking loss on ``pairs_per_image`` random point pairs per image (sampled online).

    Pair label +1/-1 where the target ratio exceeds ``1 + ratio_threshold`` either way, else 0.
    ``improved``: drop the ``ignore_fraction`` smallest losses (paper: 25%) among ``ignore_among``
    pairs: ``all`` (the paper's description) or ``unequal`` (this project's earlier behaviour).
    ``target_source``: where the relative-depth target comes from: ``stereo`` (the paper: dense
    correspondence on the rectified stereo pair), ``depth`` (a depth topic) or ``auto`` (depth
    when the frame has it, else stereo).
    """

    pairs_per_image: int = 3000
    ratio_threshold: float = 0.02
    improved: bool = True
    ignore_fraction: float = 0.25
    ignore_among: str = "all"
    target_source: str = "auto"


@dataclass(frozen=True)
class Xian2018Weights:
    ranking: float = 1.0


@dataclass(frozen=True)
class Xian2018Optimizer:
    """Adam; these optimiser values are this project's, not verified against the paper."""

    lr: float = 1e-4
    weight_decay: float = 0.0


@dataclass(frozen=True)
class Xian2018Config:
    method: str = "xian2018"
    model: Xian2018Model = field(default_factory=Xian2018Model)
    data: DataConfig = field(default_factory=lambda: DataConfig(input_hw=(384, 384)))
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(max_steps=100000, batch_size=8))
    loss: Xian2018Loss = field(default_factory=Xian2018Loss)
    loss_weights: Xian2018Weights = field(default_factory=Xian2018Weights)
    optimizer: Xian2018Optimizer = field(default_factory=Xian2018Optimizer)


# ----------------------------------------------------------------------------- Li 2020
@dataclass(frozen=True)
class Li2020Model:
    variant: str = "paper"
    #: none (random) | imagenet (variant lite0 only: the depth net's ImageNet-trained encoder, as the paper's)
    encoder_init: str = "none"
    learn_intrinsics: str = "auto"  # "auto": learned when the dataset has none; "always"; "never"
    layer_norm_noise_stddev: float = 0.5  # official randomized layer norm; 0 = plain layer norm
    auto_mask: bool = True  # official: zero residual translations with norm <= the mean norm
    max_pixel_aspect: float = 1.1  # ours: learned fy/fx within [1/1.1, 1.1]; principal point inside the image
    #: depth decoder upsampling: nearest (ours, first) | bilinear (ours: fewer bands until retrained, stage 28); official: transposed conv
    decoder_upsample: str = "nearest"


@dataclass(frozen=True)
class Li2020Data(DataConfig):
    """``duplicates_filter_threshold``: official filter: a pair is dropped when the mean absolute
    RGB difference (values in [0, 1]) of its frames is not above it (0 disables).
    ``max_frame_stride`` (ours; training only): each training pair is frames i and i + s, s drawn
    evenly from 1..max_frame_stride where that frame exists in the same chunk and camera, so the
    motion network sees rotations and baselines up to that many frames' worth (1: consecutive
    frames, the paper's). Validation always pairs consecutive frames."""

    duplicates_filter_threshold: float = 0.01
    max_frame_stride: int = 1


@dataclass(frozen=True)
class Li2020Weights:
    """Official code's DEFAULT_PARAMS['loss_weights'] (+ two terms of ours: the anti-collapse
    ``depth_mean`` and, for adaptation, ``depth_anchor``: the scale-invariant log difference
    between the depth network and a frozen copy of the weights it started from, which needs
    ``trainer.init_from``; 0, the default, leaves the depth network free; and ``rotation_supervision``:
    the motion network's rotation against the dataset's poses, the L1 norm in radians of the error
    rotation's sin(angle) * axis, averaged over the directions whose two frames have a pose, for
    renders with exact poses; 0, the default, is the paper's self-supervision alone)."""

    rgb_consistency: float = 1.0
    ssim: float = 3.0
    depth_smoothing: float = 1e-3
    rotation_cycle_consistency: float = 1e-3
    translation_cycle_consistency: float = 5e-2
    motion_smoothing: float = 1.0
    motion_drift: float = 0.2
    depth_variance: float = 0.0
    depth_mean: float = 1.0
    depth_anchor: float = 0.0
    rotation_supervision: float = 0.0


@dataclass(frozen=True)
class Li2020Loss:
    """Photometric-term options. ``occluded_pixel_weight``: weight of the RGB error at in-view
    pixels that fail the occlusion test (moved point farther than frame 2's depth there). The
    official code drops them (0.0); a positive weight keeps them. In 12-minute CPU trials 1.0 made
    the predicted translation come out backwards, so the demo recipe keeps 0.

    ``photometric_blur_levels`` (ours; official: 0, full resolution only): N > 0 adds the RGB and
    SSIM terms of both frames blurred by a Gaussian of sigma 2, 4, .., 2^N pixels (at the network's
    input), the N + 1 levels averaged, as a coarse-to-fine image pyramid does. A large rotation or
    shift moves the image further than the unblurred terms' gradient reaches: on stage 38's 72
    fast-panning validation pairs turning 3 deg or more, the weighted terms fall from the network's
    rotation toward the true one on 64 % of the pairs unblurred and on 88 % at sigma 4
    (``benchmarks/rotation_landscape.py``). The occlusion mask and the other terms are unchanged.
    """

    occluded_pixel_weight: float = 0.0
    photometric_blur_levels: int = 0


@dataclass(frozen=True)
class Li2020Schedule:
    """Step schedules (official defaults): residual motion is zero for the first half of
    ``motion_field_burnin_steps`` then ramps up linearly; layer-norm noise ramps up over
    ``layer_norm_noise_rampup_steps``; the depth-mean regulariser acts for ``depth_mean_steps``.
    """

    motion_field_burnin_steps: int = 20000
    layer_norm_noise_rampup_steps: int = 10000
    depth_mean_steps: int = 2000
    collapse_check_every_n_steps: int = 50
    collapse_min_log_depth_std: float = 0.01
    collapse_min_counted_fraction: float = 0.02


@dataclass(frozen=True)
class Li2020Optimizer:
    """``depth_lr_scale`` (ours): the depth network's learning rate as a fraction of ``lr``; 0 freezes
    it (no gradients), so a short recording adapts the motion network and the intrinsics only.
    ``depth_bn_stats`` (ours; batch-norm depth nets, ``lite0``): ``batch`` normalises with each
    batch's statistics and updates the stored ones (plain training); ``frozen`` normalises with the
    stored statistics and keeps them (their scales and offsets still learn): fine-tuning on small
    batches of one recording. No effect on a net without batch norm.
    ``static_camera_depth`` (ours): a run that starts from weights (``--init-from``) on recordings
    where the camera stands still in most sampled pairs of the train split (every folder;
    ``training.evaluate.motion_check``) has nothing that constrains depth (no parallax): ``freeze``
    (default) runs it with ``depth_lr_scale`` 0, so only the motion network and the intrinsics
    adapt; ``train`` trains the depth network anyway. No effect on a moving camera or from scratch."""

    lr: float = 2e-4
    weight_decay: float = 0.0
    depth_lr_scale: float = 1.0
    depth_bn_stats: str = "batch"
    static_camera_depth: str = "freeze"


@dataclass(frozen=True)
class Li2020Config:
    method: str = "li2020"
    model: Li2020Model = field(default_factory=Li2020Model)
    data: Li2020Data = field(default_factory=lambda: Li2020Data(input_hw=(128, 416)))
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        max_steps=200000, batch_size=4, gradient_clip_norm=10.0))
    loss: Li2020Loss = field(default_factory=Li2020Loss)
    loss_weights: Li2020Weights = field(default_factory=Li2020Weights)
    schedule: Li2020Schedule = field(default_factory=Li2020Schedule)
    optimizer: Li2020Optimizer = field(default_factory=Li2020Optimizer)


CONFIG_CLASSES: dict[str, type] = {"eigen2014": Eigen2014Config, "xian2018": Xian2018Config,
                                   "li2020": Li2020Config}
MethodConfig = Union[Eigen2014Config, Xian2018Config, Li2020Config]


# ----------------------------------------------------------------------------- strict loading
def _coerce(value: Any, hint: Any, key: str) -> Any:
    """Check ``value`` against the type ``hint``; returns the converted value."""
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(key, value, f"expected a mapping for section {hint.__name__}")
        return _build(hint, value, key + ".")
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise ConfigError(key, value, f"expected a list of {len(args)} values")
        return tuple(_coerce(v, a, f"{key}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
    if origin in (Union, types.UnionType):
        for arg in typing.get_args(hint):
            try:
                return _coerce(value, arg, key)
            except ConfigError:
                continue
        raise ConfigError(key, value, f"does not match {hint}")
    if hint is type(None):
        if value is not None:
            raise ConfigError(key, value, "expected null")
        return None
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, value, "expected true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, value, "expected an integer")
        return value
    if hint is float:
        if isinstance(value, str):  # YAML 1.1 reads "1e-3" (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                raise ConfigError(key, value, "expected a number") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, value, "expected a number")
        return float(value)
    if hint is str:
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ConfigError(key, value, "expected a string")
        return str(value)
    raise ConfigError(key, value, f"unsupported type {hint}")


def _build(cls: type, data: dict, prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            raise ConfigError(prefix + str(key), data[key],
                              f"unknown key (known in this section: {sorted(names)})")
    defaults = cls()
    kwargs = {}
    for name in names:
        if name in data:
            value = data[name]
            if dataclasses.is_dataclass(hints[name]) and isinstance(value, dict):
                # merge partial sections onto the default section (keeps per-method defaults)
                value = {**config_to_dict(getattr(defaults, name)), **value}
            kwargs[name] = _coerce(value, hints[name], prefix + name)
    return dataclasses.replace(defaults, **kwargs)


def config_to_dict(config: Any) -> dict:
    """Resolved plain dict (tuples as lists) for YAML/JSON and checkpoints."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value
    return plain(dataclasses.asdict(config))


def _set_dotted(data: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(dotted, value, f"'{part}' is not a section")
        node = child
    node[parts[-1]] = value


def parse_overrides(items: list[str] | None) -> dict:
    """``["a.b=1", "c=[1, 2]"]`` -> nested dict; values parsed as YAML."""
    out: dict = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError("--set", item, "expected KEY=VALUE, e.g. optimizer.lr=1e-4")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(key.strip(), text, f"value is not valid YAML ({_yaml_problem(exc)})") from None
        _set_dotted(out, key.strip(), value)
    return out


def _yaml_problem(exc: Exception) -> str:
    """One line of a YAML error: its problem and where (``line L, column C``)."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{getattr(exc, 'problem', None) or type(exc).__name__}{where}"


def _read_yaml_file(path: str | Path) -> dict:
    """The mapping in a --config file; ConfigError naming the file when absent, unreadable or not YAML."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("config", str(path), "no such file" if not path.exists() else "is not a file")
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError("config", str(path), f"not valid YAML ({_yaml_problem(exc)})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("config", str(path), f"cannot be read ({exc})") from None
    loaded = loaded or {}
    if not isinstance(loaded, dict):
        raise ConfigError("config", str(path), "top level must be a mapping")
    return loaded


def _deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_config(method: str, path: str | Path | None = None, overrides: list[str] | dict | None = None,
                base: dict | None = None) -> Any:
    """Build the method's config: defaults <- ``base`` <- YAML file <- overrides (dotted ``KEY=VALUE``).

    ``base``: a nested mapping under the file, e.g. the architecture of the weights a run starts
    from (``training.loop.starting_settings``).
    Raises ConfigError naming the key for unknown keys, wrong types or a mismatching ``method``.
    """
    if method not in CONFIG_CLASSES:
        raise ConfigError("method", method, f"expected one of {sorted(CONFIG_CLASSES)}")
    data: dict = dict(base or {})
    if path is not None:
        data = _deep_merge(data, _read_yaml_file(path))
    extra = overrides if isinstance(overrides, dict) else parse_overrides(overrides)
    file_data, data = data, _deep_merge(data, extra)
    if data.get("method", method) != method:
        raise ConfigError("method", data["method"], f"config file is for another method than {method!r}")
    config = _build(CONFIG_CLASSES[method], data)
    config = _scale_eigen_schedule(config, _build(CONFIG_CLASSES[method], _deep_merge(file_data, _without_max_steps(extra))),
                                   extra)
    validate_config(config)
    return config


def _without_max_steps(extra: dict) -> dict:
    """The overrides less trainer.max_steps: the config the schedule was written for."""
    return {**extra, "trainer": {k: v for k, v in extra.get("trainer", {}).items() if k != "max_steps"}}


def _scale_eigen_schedule(config: Any, base: Any, extra: dict) -> Any:
    """``--set trainer.max_steps=N`` alone keeps eigen2014's coarse/fine proportion of the config."""
    if not isinstance(config, Eigen2014Config) or "coarse_steps" in extra.get("schedule", {}) \
            or "max_steps" not in extra.get("trainer", {}):
        return config
    fraction = base.schedule.coarse_steps / base.trainer.max_steps
    steps = int(round(fraction * config.trainer.max_steps))
    return dataclasses.replace(config, schedule=dataclasses.replace(config.schedule, coarse_steps=steps))


def config_from_dict(data: dict) -> Any:
    """Rebuild a config from :func:`config_to_dict` output (e.g. a checkpoint's)."""
    method = data.get("method")
    if method not in CONFIG_CLASSES:
        raise ConfigError("method", method, f"expected one of {sorted(CONFIG_CLASSES)}")
    return _build(CONFIG_CLASSES[method], data)


def validate_config(config: Any) -> None:
    """Range checks that types alone cannot express."""
    t = config.trainer
    for key, value in (("trainer.max_steps", t.max_steps), ("trainer.batch_size", t.batch_size),
                       ("trainer.num_nodes", t.num_nodes)):
        if value < 1:
            raise ConfigError(key, value, "must be >= 1")
    for key, value in (("trainer.log_every_n_steps", t.log_every_n_steps),
                       ("trainer.val_every_n_steps", t.val_every_n_steps),
                       ("trainer.checkpoint_every_n_steps", t.checkpoint_every_n_steps)):
        if value < 1:
            raise ConfigError(key, value, "must be >= 1")
    for key, value in (("trainer.num_workers", t.num_workers), ("trainer.val_batches", t.val_batches)):
        if value < 0:
            raise ConfigError(key, value, "must be >= 0")
    if not re.fullmatch(r"auto|-1|[1-9]\d*|\d+(\s*,\s*\d+)*,?", t.devices.strip()):
        raise ConfigError("trainer.devices", t.devices, "expected 'auto', a count >= 1, -1 (all) or a list "
                                                        "of device indices such as '0,1'")
    _validate_model_and_optimizer(config)
    if t.gradient_clip_norm < 0:
        raise ConfigError("trainer.gradient_clip_norm", t.gradient_clip_norm, "must be >= 0 (0 = off)")
    if not 0.0 <= config.data.colour_jitter <= 1.0:
        raise ConfigError("data.colour_jitter", config.data.colour_jitter, "must be in [0, 1] (0 = off)")
    if config.data.colour_jitter > 0 and not (config.data.augment and config.data.camera_augment):
        raise ConfigError("data.colour_jitter", config.data.colour_jitter,
                          "has no effect without data.augment and data.camera_augment: set them true or it to 0")
    if not 0.0 <= config.data.exposure_metering <= 1.0:
        raise ConfigError("data.exposure_metering", config.data.exposure_metering,
                          "must be in [0, 1] (a share of the samples; 0 = off)")
    if config.data.exposure_metering > 0 and not (config.data.augment and config.data.camera_augment):
        raise ConfigError("data.exposure_metering", config.data.exposure_metering,
                          "has no effect without data.augment and data.camera_augment: set them true or it to 0")
    if config.data.resize_mode not in ("crop", "pad", "stretch"):
        raise ConfigError("data.resize_mode", config.data.resize_mode, "expected 'crop', 'pad' or 'stretch'")
    h, w = config.data.input_hw
    if h < 8 or w < 8:
        raise ConfigError("data.input_hw", config.data.input_hw, "height and width must be >= 8")
    for name, weight in config_to_dict(config.loss_weights).items():
        if weight < 0:
            raise ConfigError(f"loss_weights.{name}", weight, "must be >= 0")
    if isinstance(config, Eigen2014Config) and not 0 <= config.schedule.coarse_steps <= t.max_steps:
        raise ConfigError("schedule.coarse_steps", config.schedule.coarse_steps,
                          f"must be in [0, trainer.max_steps={t.max_steps}] (set both, e.g. "
                          f"--set schedule.coarse_steps={t.max_steps * 4 // 7})")
    if isinstance(config, Xian2018Config) and not 0 <= config.loss.ignore_fraction < 1:
        raise ConfigError("loss.ignore_fraction", config.loss.ignore_fraction, "must be in [0, 1)")
    if isinstance(config, Xian2018Config) and config.loss.ignore_among not in ("all", "unequal"):
        raise ConfigError("loss.ignore_among", config.loss.ignore_among, "expected 'all' or 'unequal'")
    if isinstance(config, Xian2018Config) and config.loss.target_source not in ("auto", "depth", "stereo"):
        raise ConfigError("loss.target_source", config.loss.target_source, "expected 'auto', 'depth' or 'stereo'")
    if isinstance(config, Li2020Config) and config.data.max_frame_stride < 1:
        raise ConfigError("data.max_frame_stride", config.data.max_frame_stride,
                          "must be >= 1 (1 = consecutive frames, the paper's)")
    if isinstance(config, Li2020Config) and not 0 <= config.loss.photometric_blur_levels <= 4:
        raise ConfigError("loss.photometric_blur_levels", config.loss.photometric_blur_levels,
                          "must be 0 (the paper's full-resolution terms only) to 4 (sigma up to 16 px)")
    if isinstance(config, Li2020Config) and config.optimizer.depth_bn_stats not in ("batch", "frozen"):
        raise ConfigError("optimizer.depth_bn_stats", config.optimizer.depth_bn_stats, "must be batch or frozen")
    if isinstance(config, Li2020Config) and config.optimizer.static_camera_depth not in ("freeze", "train"):
        raise ConfigError("optimizer.static_camera_depth", config.optimizer.static_camera_depth,
                          "must be freeze or train")
    if isinstance(config, Li2020Config) and config.optimizer.depth_lr_scale < 0:
        raise ConfigError("optimizer.depth_lr_scale", config.optimizer.depth_lr_scale, "must be >= 0 (0 = frozen)")
    if isinstance(config, Li2020Config) and config.loss_weights.depth_anchor > 0 and not t.init_from:
        raise ConfigError("loss_weights.depth_anchor", config.loss_weights.depth_anchor,
                          "needs trainer.init_from (--init-from): the weights the depth network is kept near")
    if isinstance(config, Li2020Config) and config.model.learn_intrinsics not in ("auto", "always", "never"):
        raise ConfigError("model.learn_intrinsics", config.model.learn_intrinsics,
                          "expected 'auto', 'always' or 'never'")


def _validate_model_and_optimizer(config: Any) -> None:
    """model.variant names a built network size (li2020: decoder_upsample a built decoder); learning rates and weight decay are >= 0 (0 freezes)."""
    from mono_depth_ros.models import eigen2014, li2020, xian2018

    variants = {"eigen2014": eigen2014.VARIANTS, "xian2018": xian2018.VARIANTS,
                "li2020": li2020.DEPTH_VARIANTS}[config.method]
    if config.model.variant not in variants:
        raise ConfigError("model.variant", config.model.variant, f"expected one of {sorted(variants)}")
    if config.method == "li2020" and config.model.decoder_upsample not in li2020.DECODER_UPSAMPLE_MODES:
        raise ConfigError("model.decoder_upsample", config.model.decoder_upsample,
                          f"expected one of {list(li2020.DECODER_UPSAMPLE_MODES)}")
    if config.method == "eigen2014" and config.optimizer.kind not in ("sgd", "adam"):
        raise ConfigError("optimizer.kind", config.optimizer.kind, "expected 'sgd' (the paper) or 'adam'")
    encoder_init = getattr(config.model, "encoder_init", "none")
    if encoder_init not in ("none", "imagenet"):
        raise ConfigError("model.encoder_init", encoder_init, "expected 'none' or 'imagenet'")
    if encoder_init == "imagenet" and config.model.variant != "lite0":
        raise ConfigError("model.encoder_init", encoder_init,
                          "ImageNet weights exist here only for model.variant lite0 (EfficientNet-Lite0)")
    for name, value in config_to_dict(config.optimizer).items():
        if (name.startswith("lr") or name == "weight_decay") and value < 0:
            raise ConfigError(f"optimizer.{name}", value, "must be >= 0")


def save_config_yaml(config: Any, path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump(config_to_dict(config), sort_keys=False))
