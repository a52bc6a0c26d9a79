#!/usr/bin/env bash
# Reproducible demo training: render synthetic training scenes, train small ("light") variants of
# all networks at low resolution, and evaluate them on held-out synthetic test sequences (other
# seeds, scenes and camera paths).
#
#   benchmarks/train_demo_models.sh [OUT_DIR]          (default OUT_DIR=runs/demo)
#
# Knobs (environment): FRAMES (per training sequence, 300), SIZE (160x120), HW ("[96, 128]"),
# EIGEN_STEPS (6000), XIAN_STEPS (4000), LI_STEPS (6000), MAX_MINUTES (per method, 120),
# BATCH (8), PY (.venv/bin/python). Everything is seeded: re-running gives the same data and,
# on the same device, the same training trajectory.
#
# Results: OUT_DIR/runs/<method>/{<spec>.pt, checkpoints/, logs/metrics.csv} and
# OUT_DIR/eval/<method>/<test set>/{metrics.json, metrics.md, *.png}. To use the result as the
# package's demo weights copy OUT_DIR/runs/*/<spec>.pt to mono_depth_ros/weights/.
#
# Runtime (measured with a short run, 2 CPU cores, 96x128, batch 8; see benchmarks/bench_training.py):
# rendering + extraction about 1 minute; eigen2014 ~0.03 s/step, xian2018 ~0.45 s/step,
# li2020 ~0.95 s/step, so the defaults take roughly 3 min + 30 min + 95 min on CPU, and a few
# minutes per method on one GPU.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${1:-runs/demo}
PY=${PY:-.venv/bin/python}
FRAMES=${FRAMES:-300}
SIZE=${SIZE:-160x120}
HW=${HW:-"[96, 128]"}
EIGEN_STEPS=${EIGEN_STEPS:-6000}
XIAN_STEPS=${XIAN_STEPS:-4000}
LI_STEPS=${LI_STEPS:-6000}
MAX_MINUTES=${MAX_MINUTES:-120}
BATCH=${BATCH:-8}

render() {  # name scene seed trajectory moving_objects frames
  local bag="$OUT/bags/$1" data="$OUT/data/$1"
  if [ ! -f "$data/manifest.csv" ]; then
    rm -rf "$bag"
    "$PY" -m training synth --out "$bag" --frames "$6" --size "$SIZE" --scene "$2" --seed "$3" \
        --trajectory "$4" --moving-objects "$5" --stereo
    "$PY" -m training extract "$bag" --out "$data"
  fi
}

# training scenes: both worlds, several seeds and camera paths
render train_indoor_1 indoor 1 handheld 0 "$FRAMES"
render train_indoor_2 indoor 2 handheld 1 "$FRAMES"
render train_street_1 street 3 turning 2 "$FRAMES"
render train_street_2 street 4 handheld 2 "$FRAMES"
# held-out test sequences: unseen seeds (new layouts and textures) and swapped camera paths
render test_indoor indoor 101 handheld 1 100
render test_street street 102 turning 2 100
TRAIN=("$OUT"/data/train_*)

common=(--set model.variant=light --set "data.input_hw=$HW" --set data.train_split=all
        --set trainer.val_batches=0 --set trainer.batch_size="$BATCH" --set trainer.checkpoint_every_n_steps=1000
        --max-minutes "$MAX_MINUTES" --no-progress)

"$PY" -m training train --method eigen2014 --config config/training/eigen2014.yaml --data "${TRAIN[@]}" \
    --out "$OUT/runs/eigen2014" "${common[@]}" --set trainer.max_steps="$EIGEN_STEPS" \
    --set schedule.coarse_steps=$((EIGEN_STEPS / 2))
"$PY" -m training train --method xian2018 --config config/training/xian2018.yaml --data "${TRAIN[@]}" \
    --out "$OUT/runs/xian2018" "${common[@]}" --set trainer.max_steps="$XIAN_STEPS"
"$PY" -m training train --method li2020 --config config/training/li2020.yaml --data "${TRAIN[@]}" \
    --out "$OUT/runs/li2020" "${common[@]}" --set trainer.max_steps="$LI_STEPS" \
    --set schedule.motion_field_burnin_steps=$((LI_STEPS / 2)) --set schedule.layer_norm_noise_rampup_steps=$((LI_STEPS / 4)) \
    --set schedule.depth_mean_steps=$((LI_STEPS / 10))

for test in test_indoor test_street; do
  for spec in eigen2014/eigen2014 xian2018/xian2018 li2020/li2020_depth; do
    "$PY" -m training evaluate --checkpoint "$OUT/runs/$spec.pt" --data "$OUT/data/$test" --split all \
        --max-depth 60 --out "$OUT/eval/${spec%%/*}/$test"
  done
done
echo "done: models in $OUT/runs, reports in $OUT/eval"
