#!/usr/bin/env bash
# Twenty-fifth stage of the demo recipe: stage 23's close-range data for li2020 (lite0 depth and the
# light motion network), continued from the shipped pair.
#
#   benchmarks/train_demo_stage25.sh [OUT_DIR]                        (default runs/demo)
#
# 1. renders the validation sequences, stage 10's 300 and stage 23's 100 desk sequences where missing;
# 2. starts both networks from the shipped li2020_depth.pt and li2020_motion.pt (copied once to
#    runs/li2020_stage25_start/) and trains li2020 lite0 at 120x160, batch 6, lr 3e-5 (stage 19's),
#    LI_MIN minutes (default 55), LI_THREADS threads (default 1: beside stages 23 and 24); resumable;
# 3. selects every 500 steps on the 80 validation sequences of stage 23 (BROAD=1 DESK_VAL=1) with the
#    rule of stages 8-12 (fixed before the run): ship only a pick no more than 2 % worse than the
#    shipped pair in translation direction error and in depth AbsRel / constant map, and better in
#    one. The real frames play no part.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
stage10_data 7200 8100
desk_data 10001 10100
start="$OUT/runs/li2020_stage25_start"
[ -f "$start/li2020_motion.pt" ] || { mkdir -p "$start"; cp "$W/li2020_depth.pt" "$W/li2020_motion.pt" "$start/"; }
train_li_lite0 li2020_stage25 "${LI_MIN:-55}" li_stage25.log "${LI_THREADS:-1}" --init-from "$start" \
    --set optimizer.lr=0.00003
BROAD=1 DESK_VAL=1 SEL_EVERY=500 select_ship_li li2020_stage25
