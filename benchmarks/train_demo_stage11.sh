#!/usr/bin/env bash
# Eleventh stage of the demo recipe (same OUT_DIR as stage 10): li2020 at 120x160.
#
#   benchmarks/train_demo_stage11.sh [OUT_DIR]                              (default runs/demo)
#
# Why: li2020's depth is mostly one fixed layout (layout share 0.93 on the real frames and 0.96-0.98
# within a synthetic test sequence, against the truth's 0.33 and 0.73-0.83; README), and more pixels
# a frame is what moved xian2018 in stage 7. Both networks are fully convolutional, so the 96x128
# weights continue at 120x160 (the rendered frames' own size) as they are.
# 1. renders the 8 validation sequences where they are missing (train_demo_stage10.sh must have
#    rendered its 300 training sequences, or any earlier stage its own);
# 2. continues li2020 (depth and motion) from the shipped weights at 120x160, stage 9's low rate
#    (lr 3e-5), LI_MIN minutes (default 80) on LI_THREADS threads (default 2: nothing else runs);
# 3. selects it on the 8 validation sequences against the shipped pair by translation direction error
#    AND depth AbsRel / constant map, every SEL_EVERY steps (default 1000), and ships only a winner.
# Resumable.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
li_stage_120x160 li2020_stage11 "${LI_MIN:-80}" li_stage11.log
