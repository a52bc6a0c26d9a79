#!/usr/bin/env bash
# Reproducible demo training: render synthetic training scenes, train small ("light") variants of
# all networks at low resolution, and evaluate them on held-out synthetic test sequences (other
# seeds, scenes and camera paths).
#
#   benchmarks/train_demo_models.sh [OUT_DIR]          (default OUT_DIR=runs/demo)
#
# Knobs (environment): FRAMES (per long training sequence, 300), SIZE (160x120), HW ("[96, 128]"),
# PY (.venv/bin/python). Step counts and time caps below are the ones the bundled weights were
# trained with on the 2-core CPU machine (one thread each; eigen2014 and li2020 side by side,
# then xian2018). Everything is seeded.
#
# Results: OUT_DIR/runs/<method>/{<spec>.pt, checkpoints/, logs/metrics.csv} and
# OUT_DIR/eval/<method>/<test set>/{metrics.json, metrics.md, *.png}; the fp16 copies that ship
# as demo weights are written to mono_depth_ros/weights/ at the end.
#
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${1:-runs/demo}
PY=${PY:-.venv/bin/python}
FRAMES=${FRAMES:-300}
SIZE=${SIZE:-160x120}
HW=${HW:-"[96, 128]"}

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
# more layouts and textures (shorter): generalisation to unseen seeds needs scene variety
for seed in 5 6 7 8; do
  render "train_indoor_$seed" indoor "$seed" "$([ $((seed % 2)) = 1 ] && echo forward || echo turning)" $((seed % 3)) 150
done
for seed in 9 10 11 12; do
  render "train_street_$seed" street "$seed" "$([ $((seed % 2)) = 1 ] && echo forward || echo handheld)" $((seed % 3)) 150
done
# held-out test sequences: unseen seeds (new layouts and textures) and swapped camera paths
render test_indoor indoor 101 handheld 1 100
render test_street street 102 turning 2 100
# validation sequences (li2020 checkpoint selection): seeds in neither training nor test
render val_indoor indoor 201 handheld 1 60
render val_street street 202 turning 2 60
TRAIN=("$OUT"/data/train_*)

export OMP_NUM_THREADS=1
common=(--set model.variant=light --set "data.input_hw=$HW" --set data.train_split=all
        --set trainer.val_batches=0 --set trainer.num_workers=1 --set trainer.checkpoint_every_n_steps=250
        --no-progress)

"$PY" -m training train --method eigen2014 --config config/training/eigen2014.yaml --data "${TRAIN[@]}" \
    --out "$OUT/runs/eigen2014" "${common[@]}" --max-minutes 25 --set trainer.batch_size=8 \
    --set trainer.max_steps=18000 --set schedule.coarse_steps=9000 &
# li2020 at 48x64 (more steps in the time than at 96x128) without the layer-norm noise (12-minute
# trials on these sequences: median-scaled AbsRel 0.56 with it, 0.16 without). The
# bundled weights come from the run below, made as a 12-minute trial resumed to 32 minutes; the
# noise is switched off by a ramp that never starts (same network as
# model.layer_norm_noise_stddev=0, which draws another random stream: Li 2020 from scratch is
# seed-sensitive, a run with that setting diverged after 2000 steps, see README). The shipped
# checkpoint is chosen on the validation sequences by 'training select'.
"$PY" -m training train --method li2020 --config config/training/li2020.yaml --data "${TRAIN[@]}" \
    --out "$OUT/runs/li2020" "${common[@]}" --set "data.input_hw=${LI_HW:-[48, 64]}" --max-minutes 32 \
    --set trainer.batch_size=6 --set trainer.max_steps=100000 --set schedule.layer_norm_noise_rampup_steps=100000000 \
    --set schedule.motion_field_burnin_steps=1200 --set schedule.depth_mean_steps=300 &
wait
"$PY" -m training train --method xian2018 --config config/training/xian2018.yaml --data "${TRAIN[@]}" \
    --out "$OUT/runs/xian2018" "${common[@]}" --max-minutes 30 --set trainer.batch_size=8 \
    --set trainer.max_steps=6000 --set loss.target_source=stereo

"$PY" -m training select --run "$OUT/runs/li2020" --data "$OUT/data/val_indoor" "$OUT/data/val_street" \
    --split all --every 250 --max-depth 60 --no-progress

for test in test_indoor test_street; do
  for spec in eigen2014/eigen2014 xian2018/xian2018 li2020/selected/li2020_depth; do
    "$PY" -m training evaluate --checkpoint "$OUT/runs/$spec.pt" --data "$OUT/data/$test" --split all \
        --max-depth 60 --out "$OUT/eval/${spec%%/*}/$test"
  done
done
for spec in eigen2014/eigen2014 xian2018/xian2018 li2020/selected/li2020_depth li2020/selected/li2020_motion; do
  "$PY" -c "import sys; from mono_depth_ros.models.checkpoint import write_half_precision_copy as w; w(sys.argv[1], sys.argv[2])" \
      "$OUT/runs/$spec.pt" "mono_depth_ros/weights/${spec##*/}.pt"
done
echo "done: models in $OUT/runs, reports in $OUT/eval, demo weights in mono_depth_ros/weights/"
