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
train_eigen_lite0 eigen2014_stage15 "${EIGEN_MIN:-60}" eigen_stage15.log \
    --set model.encoder_init=imagenet --set trainer.max_steps=14000 --set schedule.coarse_steps=8000
select_run eigen2014 eigen2014_stage15
TOLERANCE=${TOLERANCE:-0.02} ship_within eigen2014 eigen2014_stage15
