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

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
more_training_data
train_light eigen2014 eigen2014_fine bundled "${REFINE_MIN:-30}" eigen_fine.log \
    --set trainer.max_steps=12000 --set schedule.coarse_steps=0
train_light xian2018 xian2018_more2 bundled "${REFINE_MIN:-30}" xian_more2.log "${XIAN_CONTINUE[@]}"

select_ship eigen2014 eigen2014_fine
select_ship xian2018 xian2018_more2
