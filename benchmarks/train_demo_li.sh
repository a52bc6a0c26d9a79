#!/usr/bin/env bash
# li2020 on the larger synthetic data of benchmarks/train_demo_more.sh (run both earlier stages first,
# same OUT_DIR):
#
#   benchmarks/train_demo_li.sh [OUT_DIR]                                    (default runs/demo)
#
# 1. continues li2020 (depth and motion networks) from the bundled weights on every training
#    sequence (24 long + 374 short; the bundled li2020 saw only the 24 long ones), at 48x64 like the
#    first stage, at half the paper's learning rate (1e-4; a continuation at the full rate lost
#    xian2018's quality within 1000 steps), one thread, LI_MIN minutes (default 75); resumable;
# 2. selects it on the 8 validation sequences by translation direction error, like the first stage,
#    against the shipped li2020 (--incumbent), and ships depth and motion networks only if it wins.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
more_training_data
RUN="$OUT/runs/li2020_more"
# shellcheck disable=SC2046
"$PY" -m training train --method li2020 --config config/training/li2020.yaml --data "${DATA[@]}" \
    --out "$RUN" --set model.variant=light --set "data.input_hw=[48, 64]" --set data.train_split=all \
    --set trainer.val_batches=0 --set trainer.num_workers=1 --set trainer.checkpoint_every_n_steps=250 \
    --no-progress --init-from bundled --max-minutes "${LI_MIN:-75}" \
    --set trainer.batch_size=6 --set trainer.max_steps=100000 --set optimizer.lr=0.0001 \
    --set schedule.layer_norm_noise_rampup_steps=100000000 --set schedule.motion_field_burnin_steps=0 \
    --set schedule.depth_mean_steps=0 $(resume "$RUN") > "$OUT/li_more.log" 2>&1

VAL=("$OUT"/data/val_*)
"$PY" -m training select --run "$RUN" --data "${VAL[@]}" --split all --every 500 \
    --criterion translation_direction_error_deg --max-depth 60 --no-progress \
    --incumbent "$W/li2020_depth.pt" "$W/li2020_motion.pt"
for spec in li2020_depth li2020_motion; do
  ship_selected "$PY" "$RUN/selected/$spec.pt" "$W/$spec.pt"
done
