#!/usr/bin/env bash
# Sixth stage of the demo recipe (after train_demo_stage5.sh, same OUT_DIR): no new data; stage 5's
# 698 sequences for the two stages that moved last:
#
#   benchmarks/train_demo_stage6.sh [OUT_DIR]                               (default runs/demo)
#
# 1. eigen2014: the fine network alone (coarse frozen, as train_demo_refine.sh) from the shipped
#    weights on all 698 sequences (12000 steps, EIGEN_MIN minutes, default 50); stage 5 retrained the
#    coarse network too and lost on validation (0.381 vs 0.362);
# 2. xian2018: continues the shipped weights (stage 5's step 5500) at lr 2e-5 (8000 steps, XIAN_MIN,
#    default 50); stage 5 still improved validation (0.172 -> 0.166);
# one thread each, side by side;
# 3. selects each on the 8 validation sequences against the shipped weights; ships only a winner.
# Resumable.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
more_training_data
train_light eigen2014 eigen2014_stage6 bundled "${EIGEN_MIN:-50}" eigen_stage6.log \
    --set trainer.max_steps=12000 --set schedule.coarse_steps=0 &
train_light xian2018 xian2018_stage6 bundled "${XIAN_MIN:-50}" xian_stage6.log "${XIAN_CONTINUE[@]}" &
wait

select_ship eigen2014 eigen2014_stage6
select_ship xian2018 xian2018_stage6
