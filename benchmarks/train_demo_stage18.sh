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
run="$OUT/runs/xian2018_stage18"
start="${run}_start.pt"
[ -f "$start" ] || cp "$W/xian2018.pt" "$start"
# shellcheck disable=SC2046
OMP_NUM_THREADS=${XIAN_THREADS:-1} "$PY" -m training train --method xian2018 --config config/training/xian2018.yaml \
    --data "${DATA[@]}" --out "$run" --set model.variant=lite0 --init-from "$start" \
    --set "data.input_hw=[120, 160]" --set data.train_split=all --set loss.target_source=stereo \
    --set trainer.val_batches=0 --set trainer.num_workers=1 --set trainer.checkpoint_every_n_steps=250 \
    --set trainer.batch_size=8 --set trainer.max_steps=100000 --set optimizer.lr=0.00002 --no-progress \
    --max-minutes "${XIAN_MIN:-75}" $(resume "$run") > "$OUT/xian_stage18.log" 2>&1
select_run xian2018 xian2018_stage18
TOLERANCE=${TOLERANCE:-0} ship_within xian2018 xian2018_stage18
