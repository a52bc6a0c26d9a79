#!/usr/bin/env bash
# Twenty-sixth stage of the demo recipe: the three networks continued from the shipped weights on the
# desk world v2 (the camera held over the near desk edge in half the scenes), all three side by side.
#
#   benchmarks/train_demo_stage26.sh [OUT_DIR]                        (default runs/demo)
#
# 1. renders, where missing, two processes side by side: the 8 validation sequences, stage 10's rooms
#    7001-7200 and streets 8001-8100 (as stages 23-25), 100 desk v2 sequences
#    (10001-10100) and the 80 validation sequences of stage 23 (their 24 desk ones now desk v2);
# 2. trains, one thread each, from the shipped weights with stages 23-25's recipes: xian2018 (lr 2e-5,
#    XIAN_MIN minutes, default 65), eigen2014 (coarse at Adam 3e-5 for COARSE_MIN, default 35, then the
#    fine stage for FINE_MIN, default 28) and li2020 (lr 3e-5, LI_MIN, default 65); all resumable;
# 3. selects each on the 80 validation sequences by the rules of stages 23-25, fixed before the run:
#    xian2018 ships only when better in WHDR; eigen2014 by `--criterion silog --also abs_rel
#    --tolerance 0.05`; li2020 only no more than 2 % worse in direction error and in AbsRel / constant
#    map and better in one. The real frames play no part.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
desk_v2_stage_data 26

xian() {
  BROAD=1 DESK_VAL=1 TOLERANCE=0 continue_xian_lite0 xian2018_stage26 "${XIAN_MIN:-65}" xian_stage26.log 1 0.00002
}
eigen() {
  COARSE_MIN=${COARSE_MIN:-35} FINE_MIN=${FINE_MIN:-28} continue_eigen_lite0 stage26 0.00003
}
li() {
  local start="$OUT/runs/li2020_stage26_start"
  [ -f "$start/li2020_motion.pt" ] || { mkdir -p "$start"; cp "$W/li2020_depth.pt" "$W/li2020_motion.pt" "$start/"; }
  train_li_lite0 li2020_stage26 "${LI_MIN:-65}" li_stage26.log 1 --init-from "$start" --set optimizer.lr=0.00003
  BROAD=1 DESK_VAL=1 SEL_EVERY=500 select_ship_li li2020_stage26
}
xian > "$OUT/stage26_xian.out" 2>&1 & x=$!
eigen > "$OUT/stage26_eigen.out" 2>&1 & e=$!
li > "$OUT/stage26_li.out" 2>&1 & l=$!
status=0
wait "$x" || status=1; wait "$e" || status=1; wait "$l" || status=1
echo "stage 26 done at $(date) (status $status); see $OUT/stage26_*.out"
exit "$status"
