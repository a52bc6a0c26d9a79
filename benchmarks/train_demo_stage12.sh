#!/usr/bin/env bash
# Twelfth stage of the demo recipe (same OUT_DIR as stages 10-11): li2020 with the paper's
# randomized layer normalization switched on.
#
#   benchmarks/train_demo_stage12.sh [OUT_DIR]                              (default runs/demo)
#
# Why: li2020's depth is mostly one fixed layout (layout share about 0.92 on real and validation
# frames, where the training renders' own truth has 0.44; README), and every bundled li2020 so far
# was trained without Li et al.'s randomized layer normalization, the regularizer the paper gives
# for generalization (noise stddev 0.5 here, ramped up quadratically over the first
# LN_RAMPUP steps, default 2000, instead of never).
# 1. renders the 8 validation sequences where they are missing;
# 2. continues li2020 (depth and motion) from the shipped weights at 120x160, lr 3e-5, LI_MIN
#    minutes (default 40) on LI_THREADS threads (default 2);
# 3. selects it on the 8 validation sequences against the shipped pair by translation direction error
#    AND depth AbsRel / constant map, every SEL_EVERY steps (default 1000), and ships only a winner.
# Resumable.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
li_stage_120x160 li2020_stage12 "${LI_MIN:-40}" li_stage12.log \
    --set model.layer_norm_noise_stddev=0.5 --set "schedule.layer_norm_noise_rampup_steps=${LN_RAMPUP:-2000}"
