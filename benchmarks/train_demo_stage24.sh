#!/usr/bin/env bash
# Twenty-fourth stage of the demo recipe: stage 23's close-range data for eigen2014 (lite0), coarse
# stage and then fine stage, from the shipped weights, selected under the rule stage 21 recommended
# (fixed before this run): the scale-invariant log error first, unscaled AbsRel within 5 %.
#
#   benchmarks/train_demo_stage24.sh [OUT_DIR]                        (default runs/demo)
#
# 1. renders the validation sequences, stage 10's 300 and stage 23's 100 desk sequences where missing;
# 2. coarse stage from the shipped eigen2014 (copied once to eigen2014_stage24_start.pt), Adam at
#    3e-5 (between stage 20's 1e-4 and stage 21's 1e-5), COARSE_MIN minutes (default 28), EIGEN_THREADS
#    threads (default 1); resumable;
# 3. the fine stage's start: that run's last coarse network with the shipped fine network;
# 4. fine stage (coarse frozen), the paper's SGD rates divided by 10 (stage 21's), FINE_MIN minutes
#    (default 22); resumable;
# 5. selects the fine stage's checkpoints every 1000 steps on the 80 validation sequences of stage 23
#    (BROAD=1 DESK_VAL=1) by silog, eligible only within 5 % of the shipped weights' unscaled AbsRel
#    and within 5 % of their silog, better on one (`--also abs_rel --tolerance 0.05`), and ships the
#    best eligible one. The real frames play no part.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
stage10_data 7200 8100
desk_data 10001 10100
export EIGEN_THREADS=${EIGEN_THREADS:-1}
start="$OUT/runs/eigen2014_stage24_start.pt"
[ -f "$start" ] || cp "$W/eigen2014.pt" "$start"
COARSE_MIN=${COARSE_MIN:-28} FINE_MIN=${FINE_MIN:-22} eigen_coarse_then_fine stage24 "$start" \
    "$OUT/runs/eigen2014_stage24_fine_start.pt" 0.00003
BROAD=1 DESK_VAL=1 CRITERION=silog ALSO=abs_rel:0.05 select_ship eigen2014 eigen2014_stage24
