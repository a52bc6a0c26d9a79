"""Label-free checkpoint selection for adaptation: ``training select --criterion photometric``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mono_depth_ros
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.checkpoint import read_checkpoint_payload
from training.__main__ import main
from training.evaluate.photometric import li2020_for_scoring, photometric_score, photometric_terms

BUNDLED_DIR = Path(mono_depth_ros.__file__).parent / "weights"
#: the bundled li2020 depth net's variant (the runs here start from it)
BUNDLED_VARIANT = read_checkpoint_payload(BUNDLED_DIR / "li2020_depth.pt")["model_kwargs"]["variant"]
TINY = [f"model.variant={BUNDLED_VARIANT}", "data.input_hw=[48, 64]", "data.train_split=all", "trainer.batch_size=2",
        "trainer.num_workers=0", "trainer.val_batches=0", "trainer.accelerator=cpu", "trainer.max_steps=4",
        "trainer.checkpoint_every_n_steps=2", "data.duplicates_filter_threshold=0", "optimizer.lr=1e-3",
        "model.layer_norm_noise_stddev=0", "schedule.motion_field_burnin_steps=0", "schedule.depth_mean_steps=0"]


def test_the_bundled_networks_reconstruct_better_than_no_motion(tiny_dataset, monkeypatch, load_benchmark):
    """On a synthetic street sequence the bundled li2020's warp beats the identity warp in the
    masked loss and in the plain in-view L1; chunked passes add up to one pass over all pairs."""
    bundled = photometric_score(BUNDLED_DIR, tiny_dataset, "all")
    bench = load_benchmark("adapt_euroc")
    identity = bench.photometric(tiny_dataset, "all", None, bench.weights_settings(BUNDLED_DIR) + bench.FINETUNE)
    assert bundled["pairs"] == identity["pairs"] == 7
    assert bundled["weighted"] < 0.9 * identity["weighted"] and bundled["inview_l1"] < 0.95 * identity["inview_l1"]
    assert 0.2 < bundled["counted_fraction"] < 1 and 0.5 < bundled["inview_fraction"] <= 1
    import training.evaluate.photometric as photometric

    module = li2020_for_scoring(BUNDLED_DIR)
    monkeypatch.setattr(photometric, "CHUNK_PAIRS", 3)  # 3 + 3 + 1 pairs
    in_chunks = photometric_terms(module, tiny_dataset, "all")
    assert in_chunks["weighted"] == pytest.approx(bundled["weighted"], rel=0.05)
    assert in_chunks["inview_l1"] == pytest.approx(bundled["inview_l1"], rel=0.05)


def test_select_by_photometric_loss_needs_no_labels(tiny_dataset, tmp_path, capsys):
    run = tmp_path / "run"
    sets = [arg for item in TINY for arg in ("--set", item)]
    assert main(["train", "--method", "li2020", "--data", str(tiny_dataset), "--init-from", "bundled",
                 "--out", str(run), "--no-progress", *sets]) == 0
    incumbent = [str(BUNDLED_DIR / "li2020_depth.pt"), str(BUNDLED_DIR / "li2020_motion.pt")]
    assert main(["select", "--run", str(run), "--data", str(tiny_dataset), "--split", "all",
                 "--criterion", "photometric", "--incumbent", *incumbent, "--no-progress"]) == 0
    selection = json.loads((run / "selected" / "selection.json").read_text())
    assert [c["step"] for c in selection["candidates"]] == [2, 4]
    for c in selection["candidates"]:  # each score is that checkpoint's photometric loss, recomputed
        again = photometric_score(run / "checkpoints" / f"step{c['step']}.ckpt", tiny_dataset, "all")
        assert c["score"] == pytest.approx(again["weighted"], rel=1e-6)
    assert selection["incumbent"]["score"] == pytest.approx(
        photometric_score(BUNDLED_DIR, tiny_dataset, "all")["weighted"], rel=1e-6)
    assert selection["ship"] == (selection["best_score"] < selection["incumbent"]["score"] * (1 - 1e-3))
    assert (run / "selected" / "li2020_depth.pt").is_file() and "-> " in capsys.readouterr().out


def test_photometric_score_refuses_what_it_cannot_score(tiny_dataset, tmp_path):
    with pytest.raises(InputError, match="not li2020 weights"):
        photometric_score(BUNDLED_DIR / "eigen2014.pt", tiny_dataset, "all")
    with pytest.raises(InputError, match="no li2020_depth.pt"):
        photometric_score(tmp_path, tiny_dataset, "all")
    with pytest.raises(InputError, match="no consecutive frame pair"):
        photometric_score(BUNDLED_DIR, tiny_dataset, "val")  # the tiny folder's val split is empty




def test_the_score_ignores_the_blur_levels_the_weights_trained_with(tiny_dataset):
    """Weights trained with loss.photometric_blur_levels (the bundled li2020 since stage 41: 2) score on the sharp
    frames, as every other weights do: their training terms average in blurred frames' (lower on
    smoothed images) and would rank them on another scale (stage 41's against its fine-tunes)."""
    import dataclasses

    import torch

    from training.data.batches import collate
    from training.data.datasets import DatasetFolder

    stored = read_checkpoint_payload(BUNDLED_DIR / "li2020_depth.pt")["config"]["loss"]["photometric_blur_levels"]
    module = li2020_for_scoring(BUNDLED_DIR)
    assert module.config.loss.photometric_blur_levels == 0
    scored = photometric_score(BUNDLED_DIR, tiny_dataset, "all")
    dataset = module.make_dataset(DatasetFolder(tiny_dataset), "all", train=False)
    batch = collate([dataset[i] for i in range(len(dataset))])
    with torch.no_grad():
        sharp = module.loss_terms(batch)
        module.config = dataclasses.replace(module.config, loss=dataclasses.replace(
            module.config.loss, photometric_blur_levels=max(stored, 2)))
        as_trained = module.loss_terms(batch)
    assert scored["ssim"] == pytest.approx(float(sharp["ssim"]), rel=1e-5)
    assert scored["rgb_consistency"] == pytest.approx(float(sharp["rgb_consistency"]), rel=1e-5)
    assert float(as_trained["ssim"]) < 0.95 * scored["ssim"]  # what the score read before
