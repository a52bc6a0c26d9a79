#!/usr/bin/env bash
# Eighteenth stage of the demo recipe: the shipped xian2018 (stage 14's lite0: EfficientNet-Lite0
# from ImageNet, then 50 of stage 10's sequences, about 24 passes over them) trained on, on six
# times the data, as stage 17 did for li2020: all 300 of stage 10's sequences (rooms 7001-7200,
# streets 8001-8100).
#
#   benchmarks/train_demo_stage18.sh [OUT_DIR]                        (default runs/demo)
#
# 1. renders the 8 validation sequences and stage 10's 300 training sequences where they are
#    missing, two processes side by side;
# 2. starts from the shipped xian2018.pt (copied once to RUN_start.pt, so the start stays known after
#    a ship) and trains xian2018 lite0 at 120x160, stereo targets, batch 8, lr 2e-5 (the rate the
#    README gives for continuing xian2018), XIAN_MIN minutes (default 75, counted over all sittings),
#    XIAN_THREADS threads (default 1), a checkpoint every 250 steps; resumable;
# 3. selects on the 8 validation sequences by WHDR every 500 steps against the shipped weights and
#    ships only a pick that scores no worse (TOLERANCE=0; rule fixed before the run). The real frames
#    play no part in the choice.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
stage10_data 7200 8100
continue_xian_lite0 xian2018_stage18 "${XIAN_MIN:-75}" xian_stage18.log "${XIAN_THREADS:-1}" 0.00002
