#!/usr/bin/env bash
# Seventeenth stage of the demo recipe: stage 16's li2020 lite0 (ImageNet depth encoder, shipped
# motion net) trained on, on six times the data. Stage 16 trained on 50 sequences (3000 frames,
# about 12 passes by its end) and its validation was still moving; rendering a sequence takes about
# 3 s, so this stage gives it all 300 of stage 10's sequences (rooms 7001-7200, streets 8001-8100).
#
#   benchmarks/train_demo_stage17.sh [OUT_DIR]                        (default runs/demo)
#
# 1. renders the 8 validation sequences and stage 10's 300 training sequences where they are
#    missing, two processes side by side;
# 2. starts both networks from stage 16's last checkpoint (runs/li2020_stage16/checkpoints/last.ckpt:
#    weights only, a new optimizer) and trains li2020 lite0 at 120x160, batch 6, lr 1e-4, no warm-up
#    schedules (trained networks), LI_MIN minutes (default 60, counted over all sittings), LI_THREADS
#    threads (default 2: alone on the machine), a checkpoint every 250 steps; resumable;
# 3. selects on the 8 validation sequences every 500 steps by translation direction error AND depth
#    AbsRel / constant map against the shipped pair, and ships only a pick better in direction error
#    and within 2 % in AbsRel / constant (DIRECTION_BETTER=1: stricter than stages 8-12's rule, as
#    stage 16; fixed before the run). The real frames play no part in the choice.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
start="$OUT/runs/li2020_stage16/checkpoints/last.ckpt"
[ -f "$start" ] || { echo "error: no $start: run benchmarks/train_demo_stage16.sh first" >&2; exit 2; }
stage10_data 7200 8100
train_li_lite0 li2020_stage17 "${LI_MIN:-60}" li_stage17.log "${LI_THREADS:-2}" --init-from "$start"
DIRECTION_BETTER=1 SEL_EVERY=500 select_ship_li li2020_stage17
