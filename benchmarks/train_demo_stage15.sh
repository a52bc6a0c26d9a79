#!/usr/bin/env bash
# Fifteenth stage of the demo recipe: eigen2014 from ImageNet-trained coarse convolutions, as the
# paper starts (its coarse network's lower layers come from an ImageNet-trained network). As stage 14
# for xian2018: the `lite0` variant (EfficientNet-Lite0's convolutions under the paper's two fully
# connected layers, the light fine network) with model.encoder_init=imagenet, synthetic data only.
#
#   benchmarks/train_demo_stage15.sh [OUT_DIR]                        (default runs/demo)
#
# 1. renders the 8 validation sequences (seeds 201-208) and stage 14's 50 training sequences (rooms
#    7001-7030, streets 8001-8020) where they are missing, two processes side by side;
# 2. trains eigen2014 lite0 at 120x160 from ImageNet with the paper's two stages and per-layer SGD
#    rates: coarse to step 8000, then fine (coarse frozen) to 14000, batch 8, EIGEN_MIN minutes
#    (default 60, counted over all sittings), two threads, a checkpoint every 250 steps; resumable;
# 3. selects on the 8 validation sequences by AbsRel every 1000 steps against the shipped weights and
#    ships the pick when its validation AbsRel is within 2 % of the shipped weights' (stage 14's
#    rule, fixed before the run). The real frames play no part in the choice.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
imagenet_stage_data
run="$OUT/runs/eigen2014_stage15"
# shellcheck disable=SC2046
OMP_NUM_THREADS=${EIGEN_THREADS:-2} "$PY" -m training train --method eigen2014 --config config/training/eigen2014.yaml \
    --data "${DATA[@]}" --out "$run" --set model.variant=lite0 --set model.encoder_init=imagenet \
    --set "data.input_hw=[120, 160]" --set data.train_split=all --set data.colour_jitter=1.0 \
    --set trainer.val_batches=0 --set trainer.num_workers=1 --set trainer.checkpoint_every_n_steps=250 \
    --set trainer.batch_size=8 --set trainer.max_steps=14000 --set schedule.coarse_steps=8000 --no-progress \
    --max-minutes "${EIGEN_MIN:-60}" $(resume "$run") > "$OUT/eigen_stage15.log" 2>&1
select_run eigen2014 eigen2014_stage15
TOLERANCE=${TOLERANCE:-0.02} ship_within eigen2014 eigen2014_stage15
