#!/usr/bin/env bash
# Sixteenth stage of the demo recipe: li2020's depth net from an ImageNet-trained encoder, as the
# paper starts (an ImageNet ResNet-18). As stages 14-15 for xian2018 and eigen2014: the `lite0`
# variant (EfficientNet-Lite0 encoder under the paper's depth decoder; the light motion net) with
# model.encoder_init=imagenet; the motion net starts from the shipped li2020_motion.pt, synthetic
# data only.
#
#   benchmarks/train_demo_stage16.sh [OUT_DIR]                        (default runs/demo)
#
# 1. renders the 8 validation sequences (seeds 201-208) and stage 14's 50 training sequences (rooms
#    7001-7030, streets 8001-8020) where they are missing, two processes side by side;
# 2. trains li2020 lite0 at 120x160, batch 6, lr 1e-4, the depth-mean term for the first 300 steps
#    (a new depth decoder), no motion-field burn-in (a trained motion net), LI_MIN minutes (default
#    60, counted over all sittings), two threads, a checkpoint every 250 steps; resumable;
# 3. selects on the 8 validation sequences every 500 steps by translation direction error AND depth
#    AbsRel / constant map against the shipped pair, and ships only a pick better in direction error
#    and within 2 % in AbsRel / constant (DIRECTION_BETTER=1: stricter than stages 8-12's rule,
#    fixed before the run). The real frames play no part in the choice.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
imagenet_stage_data
run="$OUT/runs/li2020_stage16"
# shellcheck disable=SC2046
OMP_NUM_THREADS=${LI_THREADS:-2} "$PY" -m training train --method li2020 --config config/training/li2020.yaml \
    --data "${DATA[@]}" --out "$run" --set model.variant=lite0 --set model.encoder_init=imagenet \
    --init-from "$W/li2020_motion.pt" --set "data.input_hw=[120, 160]" --set data.train_split=all \
    --set trainer.val_batches=0 --set trainer.num_workers=1 --set trainer.checkpoint_every_n_steps=250 \
    --set trainer.batch_size=6 --set trainer.max_steps=100000 --set optimizer.lr=0.0001 \
    --set schedule.motion_field_burnin_steps=0 --set schedule.depth_mean_steps=300 \
    --set schedule.layer_norm_noise_rampup_steps=100000000 --no-progress \
    --max-minutes "${LI_MIN:-60}" $(resume "$run") > "$OUT/li_stage16.log" 2>&1
DIRECTION_BETTER=1 SEL_EVERY=500 select_ship_li li2020_stage16
