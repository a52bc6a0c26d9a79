#!/usr/bin/env bash
# Nineteenth stage of the demo recipe: a low-learning-rate phase for stage 17's li2020 lite0, as stage
# 9 gave stage 8's. Stage 17's third sitting (to step 9184, lr 1e-4) kept improving depth on
# validation (AbsRel / constant 0.529 -> 0.492) while its direction error stayed above the shipped
# pair's (10.5-11.3 deg against 9.91); stage 9's lower rate moved both criteria at once.
#
#   benchmarks/train_demo_stage19.sh [OUT_DIR]                        (default runs/demo)
#
# 1. renders the 8 validation sequences and stage 10's 300 training sequences where they are
#    missing, two processes side by side;
# 2. starts both networks from stage 17's last checkpoint (runs/li2020_stage17/checkpoints/last.ckpt,
#    step 9184: weights only, a new optimizer) and trains li2020 lite0 at 120x160, batch 6, lr 3e-5
#    (a third of stage 17's), LI_MIN minutes (default 75, counted over all sittings), LI_THREADS
#    threads (default 1: beside other work), a checkpoint every 250 steps; resumable;
# 3. selects every 500 steps with stage 17's rule: ship only a pick better than the shipped pair in
#    translation direction error and within 2 % in depth AbsRel / constant map (DIRECTION_BETTER=1),
#    on the broad validation set (BROAD=1: the 8 sequences and 48 short ones, 56 scenes; recipe_lib.sh).
#    The rule was first fixed on the 8 sequences alone; the broad set replaced them 10 minutes into
#    the run, before any of its checkpoints was scored, because stage 17's third sitting showed one
#    or two of the 8 deciding the direction criterion (validation evidence only). The first
#    sitting's script still scored the 8 alone; both verdicts are reported, the broad one decides.
#    The real frames play no part in the choice.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
start="$OUT/runs/li2020_stage17/checkpoints/last.ckpt"
[ -f "$start" ] || { echo "error: no $start: run benchmarks/train_demo_stage17.sh first" >&2; exit 2; }
stage10_data 7200 8100
train_li_lite0 li2020_stage19 "${LI_MIN:-75}" li_stage19.log "${LI_THREADS:-1}" --init-from "$start" \
    --set optimizer.lr=0.00003
BROAD=1 DIRECTION_BETTER=1 SEL_EVERY=500 select_ship_li li2020_stage19
