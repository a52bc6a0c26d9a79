#!/usr/bin/env bash
# Twenty-first stage of the demo recipe: stage 20's eigen2014 (lite0) continued at a tenth of its
# learning rates, coarse stage and then fine stage, the usual last phase of a step schedule. Both
# of stage 20's stages ran at one constant rate: its coarse stage was still improving slowly at the
# end (median-scaled validation AbsRel of the coarse output 0.249 at step 9500, 0.239 at 11750), and
# its fine stage's checkpoints moved the output's overall scale from one to the next (unscaled
# validation AbsRel 0.29-0.47 between neighbours, while the median-scaled one stayed within
# 0.234-0.257 on a validation subset): the step size, not the data, set the scale a checkpoint had.
#
#   benchmarks/train_demo_stage21.sh [OUT_DIR]                        (default runs/demo)
#
# 1. renders the 8 validation sequences and stage 10's 300 training sequences where they are missing;
# 2. coarse stage from stage 20's start (its coarse network at step 14999; eigen2014_stage20_start.pt,
#    remade by benchmarks/eigen_lite0_start.py where missing), Adam at a tenth of stage 20's rate
#    (1e-5), COARSE_MIN minutes (default 30), EIGEN_THREADS threads (default 2); resumable;
# 3. the fine stage's start: that run's last coarse network with the shipped (stage 20) fine network;
# 4. fine stage (coarse frozen), the paper's SGD rates divided by 10, FINE_MIN minutes (default 20);
#    resumable;
# 5. selects the fine stage's checkpoints every 1000 steps by AbsRel (metric, unscaled) on the broad
#    validation set (BROAD=1) beside the shipped weights, and ships the pick only when it scores
#    better (TOLERANCE=0: a continuation of the shipped weights; rule fixed before the run). The real
#    frames play no part.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
stage10_data 7200 8100
start20="$OUT/runs/eigen2014_stage20_start.pt"
eigen_lite0_start eigen2014_stage20_coarse "$start20"
eigen_coarse_then_fine stage21 "$start20" "$OUT/runs/eigen2014_stage21_start.pt" 0.00001
BROAD=1 select_run eigen2014 eigen2014_stage21
TOLERANCE=0 ship_within eigen2014 eigen2014_stage21
