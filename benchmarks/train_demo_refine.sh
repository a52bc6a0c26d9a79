#!/usr/bin/env bash
# Fourth stage of the demo recipe, after benchmarks/train_demo_more.sh (same OUT_DIR):
#
#   benchmarks/train_demo_refine.sh [OUT_DIR]                               (default runs/demo)
#
# 1. eigen2014: the shipped network is stage 3's step 10000, taken while the coarse network was being
#    retrained, so its fine network was trained on stage 2's coarse one. This trains the fine network
#    alone (coarse frozen from step 0, the paper's stage 2 at its learning rates) on all 398 sequences
#    for up to 12000 steps (30-minute cap);
# 2. xian2018: continues the shipped network (stage 2's step 2000) on all 398 sequences at 2e-5
#    (8000 steps, 30-minute cap);
# one after the other on one thread (li2020, benchmarks/train_demo_li.sh, may hold the other core);
# 3. selects each on the 8 validation sequences against the shipped weights and ships only a winner.
# Resumable.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${1:-runs/demo}
PY=${PY:-.venv/bin/python}
export OMP_NUM_THREADS=1
W=mono_depth_ros/weights
# shellcheck source=benchmarks/recipe_lib.sh
. benchmarks/recipe_lib.sh
more_training_data
common=(--set model.variant=light --set "data.input_hw=[96, 128]" --set data.train_split=all
        --set trainer.val_batches=0 --set trainer.num_workers=1 --set trainer.checkpoint_every_n_steps=250
        --no-progress --set trainer.batch_size=8 --init-from bundled --max-minutes "${REFINE_MIN:-30}")
# shellcheck disable=SC2046
"$PY" -m training train --method eigen2014 --config config/training/eigen2014.yaml --data "${DATA[@]}" \
    --out "$OUT/runs/eigen2014_fine" "${common[@]}" --set trainer.max_steps=12000 --set schedule.coarse_steps=0 \
    $(resume "$OUT/runs/eigen2014_fine") > "$OUT/eigen_fine.log" 2>&1
# shellcheck disable=SC2046
"$PY" -m training train --method xian2018 --config config/training/xian2018.yaml --data "${DATA[@]}" \
    --out "$OUT/runs/xian2018_more2" "${common[@]}" --set trainer.max_steps=8000 --set loss.target_source=stereo \
    --set optimizer.lr=0.00002 $(resume "$OUT/runs/xian2018_more2") > "$OUT/xian_more2.log" 2>&1

select_ship eigen2014 eigen2014_fine
select_ship xian2018 xian2018_more2
