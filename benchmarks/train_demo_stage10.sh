#!/usr/bin/env bash
# Tenth stage of the demo recipe (same OUT_DIR as the earlier stages, or a fresh one): new data,
# since more varied sequences are what moved validation in stages 1-5, from the shipped weights.
#
#   benchmarks/train_demo_stage10.sh [OUT_DIR]                              (default runs/demo)
#   RENDER_ONLY=1 benchmarks/train_demo_stage10.sh                          (only step 1)
#
# 1. renders the 8 validation sequences (seeds 201-208, as train_demo_models.sh) where they are
#    missing, and 300 new 60-frame sequences (rooms 7001-7200, streets 8001-8100: seeds no earlier
#    stage used), rooms and streets in two processes side by side;
# 2. continues from the shipped weights, one thread each, side by side, on every training sequence
#    present in OUT_DIR/data (on a fresh OUT_DIR: the 300 new ones):
#    xian2018 at 120x160 as stage 7 (lr 2e-5, 8000 steps, XIAN_MIN minutes, default 65);
#    li2020 at 96x128 at stage 9's low rate (lr 3e-5, LI_MIN minutes, default 65);
# 3. selects each on the 8 validation sequences against the shipped weights as stages 7-9 did
#    (xian2018 by WHDR; li2020 by translation direction error AND depth AbsRel / constant map) and
#    ships only a winner. Resumable.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
mkdir -p "$OUT/bags" "$OUT/data"
{ render_validation indoor; render_seeds indoor $(seq 7001 7200); } & indoor=$!
{ render_validation street; render_seeds street $(seq 8001 8100); } & street=$!
wait "$indoor"; wait "$street"  # each one's status: a failed render stops the recipe
more_training_data
[ "${RENDER_ONLY:-0}" = 1 ] && exit 0

train_light xian2018 xian2018_stage10 bundled "${XIAN_MIN:-65}" xian_stage10.log "${XIAN_CONTINUE[@]}" \
    --set "data.input_hw=[120, 160]" &
train_light li2020 li2020_stage10 bundled "${LI_MIN:-65}" li_stage10.log "${LI_CONTINUE[@]}" \
    --set optimizer.lr=0.00003 &
wait

select_ship xian2018 xian2018_stage10
select_ship_li li2020_stage10
