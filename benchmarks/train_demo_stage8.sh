#!/usr/bin/env bash
# Eighth stage of the demo recipe (after train_demo_stage7.sh, same OUT_DIR): no new data.
#
#   benchmarks/train_demo_stage8.sh [OUT_DIR]                               (default runs/demo)
#
# 1. eigen2014 at 120x160 (the renders' own size; shipped at 96x128) from the shipped weights. At
#    120x160 the coarse network's last features are 4x5, the size its fully connected layer was built
#    for (at 96x128 they were 3x4, interpolated up), so it first adapts the coarse network
#    (4000 steps), then the fine one with the coarse frozen (the paper's order); learning rates 10x
#    below the paper's since it starts from trained weights; 20000 steps (25 minutes here) or EIGEN_MIN
#    minutes (default 70), whichever comes first;
# 2. li2020: stage 7's run continued (its direction error was still falling at the end) to
#    LI_MIN minutes in all (default 120, of which stage 7 spent 60);
# one thread each, side by side;
# 3. selects as stage 7 does (eigen2014 by validation AbsRel, li2020 by direction error AND depth
#    AbsRel / constant map) and ships only a winner. Resumable.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
more_training_data
train_light eigen2014 eigen2014_stage8 bundled "${EIGEN_MIN:-70}" eigen_stage8.log --set "data.input_hw=[120, 160]" \
    --set trainer.max_steps=20000 --set schedule.coarse_steps=4000 --set optimizer.lr_coarse_conv=0.0001 \
    --set optimizer.lr_coarse_fc=0.01 --set optimizer.lr_fine_layer1=0.0001 --set optimizer.lr_fine_layer2=0.001 \
    --set optimizer.lr_fine_layer3=0.0001 &
train_light li2020 li2020_stage7 bundled "${LI_MIN:-120}" li_stage8.log "${LI_CONTINUE[@]}" &
wait

select_ship eigen2014 eigen2014_stage8
select_ship_li li2020_stage7
