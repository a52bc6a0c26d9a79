#!/usr/bin/env bash
# Twenty-second stage of the demo recipe: the shipped xian2018 (stage 18's step 5500, chosen on the
# broad validation set) continued at a tenth of stage 18's learning rate, the usual last phase of a
# step schedule (stage 18 ran at one constant rate, 2e-5, and its checkpoints' broad-set WHDR moved
# between neighbours by more than the gain it shipped).
#
#   benchmarks/train_demo_stage22.sh [OUT_DIR]                        (default runs/demo)
#
# 1. renders the 8 validation sequences and stage 10's 300 training sequences where they are missing;
# 2. xian2018 lite0 at 120x160 from the shipped weights, stereo targets, lr 2e-6, XIAN_MIN minutes
#    (default 20) on XIAN_THREADS threads (default 2); resumable;
# 3. selects its checkpoints every 500 steps by WHDR on the broad validation set (BROAD=1) beside
#    the shipped weights and ships the pick only when it scores better (TOLERANCE=0; rule fixed
#    before the run). The real frames play no part.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
stage10_data 7200 8100
BROAD=1 TOLERANCE=0 continue_xian_lite0 xian2018_stage22 "${XIAN_MIN:-20}" xian_stage22.log "${XIAN_THREADS:-2}" 0.000002
