#!/usr/bin/env bash
# Fifth stage of the demo recipe (after train_demo_more.sh, train_demo_refine.sh and train_demo_li.sh,
# same OUT_DIR): more data again, since more varied sequences are what moved validation so far
# (eigen2014 0.532 -> 0.409 -> 0.371 from 24 -> 198 -> 398 sequences).
#
#   benchmarks/train_demo_stage5.sh [OUT_DIR]                               (default runs/demo)
#   RENDER_ONLY=1 benchmarks/train_demo_stage5.sh                           (only step 1)
#
# 1. renders 300 more 60-frame sequences (rooms 5001-5200, streets 6001-6100), rooms and streets in
#    two processes side by side (about 3 s a sequence each);
# 2. continues eigen2014 from the shipped weights on all of them as stage 3 did (coarse network
#    again to step 12000, then the fine one; 20000 steps, EIGEN_MIN minutes, default 40) and
#    xian2018 from the shipped weights at lr 2e-5 (8000 steps, XIAN_MIN, default 40), one thread each,
#    side by side;
# 3. selects each on the 8 validation sequences against the shipped weights; ships only a winner.
# Resumable.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
compgen -G "$OUT/data/more_*" > /dev/null || { echo "error: no $OUT/data/more_*: run benchmarks/train_demo_more.sh first" >&2; exit 2; }
render_seeds indoor $(seq 5001 5200) &
render_seeds street $(seq 6001 6100) &
wait
DATA=("$OUT"/data/train_* "$OUT"/data/more_*)
echo "training sequences: ${#DATA[@]}"
[ "${RENDER_ONLY:-0}" = 1 ] && exit 0

train_light eigen2014 eigen2014_stage5 bundled "${EIGEN_MIN:-40}" eigen_stage5.log \
    --set trainer.max_steps=20000 --set schedule.coarse_steps=12000 &
train_light xian2018 xian2018_stage5 bundled "${XIAN_MIN:-40}" xian_stage5.log "${XIAN_CONTINUE[@]}" &
wait

select_ship eigen2014 eigen2014_stage5
select_ship xian2018 xian2018_stage5
