#!/usr/bin/env bash
# Thirtieth stage of the demo recipe: eigen2014 and xian2018 on stage 29's 550 sequences, side by side.
#
#   benchmarks/train_demo_stage30.sh [OUT_DIR]                        (default runs/demo)
#   ONLY=eigen|xian benchmarks/train_demo_stage30.sh                  (one network)
#
# Why, measured on validation only: stage 29 rendered 150 new scenes (seeds 11001-11060 rooms,
# 11501-11540 streets, 11801-11850 desks, the camera also moving up and down) and trained only li2020
# on them. Every render carries depth and a right image, so the two depth-supervised networks can
# use them too; in stages 1-5 more varied scenes, not more steps, is what moved validation.
# 1. stage 26's data (rendered where missing) and stage 29's 150 vertical sequences: 550 sequences;
# 2. trains, one thread each, from the shipped weights with stage 26's recipes: xian2018 (lr 2e-5,
#    XIAN_MIN minutes, default 65) and eigen2014 (coarse at Adam 3e-5 for COARSE_MIN, default 35, then
#    the fine stage for FINE_MIN, default 28); resumable;
# 3. selects each on the 80 validation sequences by stage 26's rules, fixed before the run: xian2018
#    ships only when no worse in WHDR (TOLERANCE=0); eigen2014 by `--criterion silog --also abs_rel
#    --tolerance 0.05` against the shipped network. The real frames play no part.
# shellcheck source=benchmarks/recipe_lib.sh
set -euo pipefail

. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
desk_v2_stage_data 30
vertical_stage_data
DATA+=("${VDATA[@]}")
echo "stage 30: ${#DATA[@]} training sequences"

xian() {
  BROAD=1 DESK_VAL=1 TOLERANCE=0 continue_xian_lite0 xian2018_stage30 "${XIAN_MIN:-65}" xian_stage30.log 1 0.00002
}
eigen() {
  COARSE_MIN=${COARSE_MIN:-35} FINE_MIN=${FINE_MIN:-28} continue_eigen_lite0 stage30 0.00003
}
run_xian_and_eigen 30
