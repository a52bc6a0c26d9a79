#!/usr/bin/env bash
# Ninth stage of the demo recipe (after train_demo_stage8.sh, same OUT_DIR): no new data.
#
#   benchmarks/train_demo_stage9.sh [OUT_DIR]                               (default runs/demo)
#
# 1. li2020: a low-learning-rate phase after stages 7-8 (10000 steps at lr 1e-4, whose validation
#    direction error had levelled off at 12-13 deg while the depth error was still falling): a new
#    run from stage 8's last checkpoint (step 10000, not the shipped step 8500) at lr 3e-5, the
#    rest as LI_CONTINUE, LI_MIN minutes (default 70), one thread;
# 2. selects as stages 7-8 do (direction error AND depth AbsRel / constant map, against the shipped
#    pair) and ships only a winner. Resumable.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
more_training_data
[ -f "$OUT/runs/li2020_stage7/checkpoints/last.ckpt" ] || {
    echo "error: no $OUT/runs/li2020_stage7/checkpoints/last.ckpt: run benchmarks/train_demo_stage8.sh first" >&2; exit 2; }
train_light li2020 li2020_stage9 "$OUT/runs/li2020_stage7/checkpoints/last.ckpt" "${LI_MIN:-70}" li_stage9.log \
    "${LI_CONTINUE[@]}" --set optimizer.lr=0.00003
select_ship_li li2020_stage9
