#!/usr/bin/env bash
# Reproducible demo training: render a varied, realistic synthetic training mix (rooms and streets,
# many seeds, cameras of real platforms), train small ("light") variants of all networks at low
# resolution, select li2020 on validation seeds, and evaluate on held-out test seeds.
#
#   benchmarks/train_demo_models.sh [OUT_DIR]          (default OUT_DIR=runs/demo; SMOKE=1: runs/demo_smoke)
#
# Knobs (environment):
#   SEEDS=12         training sequences per world (indoor seeds 1.., street seeds 51..)
#   FRAMES=150       frames per training sequence (validation 60, test 100)
#   SIZE=160x120     render size; with the real camera rig the height is kept and the width follows
#                    the rig's aspect (4:3 / 16:10 / 752:480 indoors, up to 3.3:1 on the street)
#   SYNTH_FLAGS="--realistic"   realism flags of 'training synth' (rich layout, photo-crop textures,
#                    real camera rig, sensor look incl. 30 % mono sensors).
#   DISTORT=1        every 4th training sequence has plumb_bob lens distortion (rectified by extract)
#   JOBS=2           renders in parallel; RENDER_ONLY=1 stops after rendering
#   HW="[96, 128]"   network input of eigen2014/xian2018; LI_HW="[48, 64]" for li2020
#   EIGEN_MIN=35 LI_MIN=135 XIAN_MIN=115   wall-time caps (minutes); PY=.venv/bin/python
#   EIGEN_CONTINUE=1 continue eigen2014 from the bundled weights (30000 steps) instead of training all;
#                    selection then scores every run present; XIAN_CONTINUE=1 the same for xian2018
#   SMOKE=1          tiny everything (2 seeds x 8 frames, a few steps) to check the recipe end to end;
#                    never writes mono_depth_ros/weights/
# Budget on the 2-core CPU machine: rendering a few minutes, two chains side by side with one thread
# each (eigen2014 35 min then xian2018 115 min | li2020 135 min), then selection of every method on
# the validation seeds and evaluation on the test seeds: about 3 hours in all. (The shipped runs were
# made in two sittings: 50 / 70 minutes, then resumed to 115 / 135; a resumed run does not replay
# the data order of an uninterrupted one.)
# Resumable: sequences already extracted are skipped; a run with checkpoints/last.ckpt resumes
# (its --max-minutes counts the time before the resume too). Everything is seeded.
#
# Results: OUT_DIR/runs/<method>/{<spec>.pt, checkpoints/, logs/metrics.csv} and
# OUT_DIR/eval/<method>/<test set>/{metrics.json, metrics.md, *.png}; the fp16 copies that ship
# as demo weights are written to mono_depth_ros/weights/ at the end.
#
set -euo pipefail

cd "$(dirname "$0")/.."
SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
  OUT=${1:-runs/demo_smoke}; SEEDS=${SEEDS:-2}; FRAMES=${FRAMES:-8}; VAL_FRAMES=6; TEST_FRAMES=6
else
  OUT=${1:-runs/demo}; SEEDS=${SEEDS:-12}; FRAMES=${FRAMES:-150}; VAL_FRAMES=60; TEST_FRAMES=100
fi
PY=${PY:-.venv/bin/python}
SIZE=${SIZE:-160x120}
HW=${HW:-"[96, 128]"}
JOBS=${JOBS:-2}
SYNTH_FLAGS=${SYNTH_FLAGS:---realistic}
export OMP_NUM_THREADS=1 OUT PY SIZE SYNTH_FLAGS

render_one() {  # name scene seed trajectory moving_objects frames [extra synth flags]
  local bag="$OUT/bags/$1" data="$OUT/data/$1"
  [ -f "$data/manifest.csv" ] && return 0
  rm -rf "$bag"
  # shellcheck disable=SC2086
  "$PY" -m training synth --out "$bag" --frames "$6" --size "$SIZE" --scene "$2" --seed "$3" \
      --trajectory "$4" --moving-objects "$5" --stereo $SYNTH_FLAGS "${@:7}" > "$OUT/bags/$1.synth.log" 2>&1
  "$PY" -m training extract "$bag" --out "$data" > "$OUT/bags/$1.extract.log" 2>&1
  rm -rf "$bag"  # the extracted folder is what training reads
  echo "$1: $(tr '\r' '\n' < "$OUT/bags/$1.synth.log" | grep '^wrote')"
}
export -f render_one

mkdir -p "$OUT/bags" "$OUT/data"
LIST="$OUT/bags/render_list.txt"
INDOOR_PATHS=(handheld forward turning)
STREET_PATHS=(forward turning handheld)
: > "$LIST"
for i in $(seq 1 "$SEEDS"); do  # training mix: both worlds, many layouts, cameras and paths
  # every 4th sequence through a distorting lens (EuRoC-like k1 -0.28 indoors, KITTI-raw-like -0.35
  # outdoors): 'training extract' rectifies it, so the networks see rectified frames as the nodes make them
  lens_in=""; lens_out=""
  if [ $((i % 4)) = 0 ] && [ "${DISTORT:-1}" = 1 ]; then lens_in="--distortion-k1 -0.28"; lens_out="--distortion-k1 -0.35"; fi
  echo "train_indoor_$i indoor $i ${INDOOR_PATHS[$((i % 3))]} $((i % 3)) $FRAMES $lens_in" >> "$LIST"
  echo "train_street_$i street $((50 + i)) ${STREET_PATHS[$((i % 3))]} $(((i + 1) % 3)) $FRAMES $lens_out" >> "$LIST"
done
# held-out test sequences (unseen seeds: new layouts, textures, cameras) and validation sequences
# (li2020 checkpoint selection): seeds in no other set
cat >> "$LIST" <<LIST
test_indoor indoor 101 handheld 1 $TEST_FRAMES
test_street street 102 turning 2 $TEST_FRAMES
val_indoor indoor 201 handheld 1 $VAL_FRAMES
val_street street 202 turning 2 $VAL_FRAMES
LIST
# more validation sequences (every path, lens and moving-object count; two sequences per world
# proved too few to tell checkpoints apart): VAL_EXTRA=0 keeps the two above only
if [ "${VAL_EXTRA:-1}" = 1 ]; then
  cat >> "$LIST" <<LIST
val_indoor_b indoor 203 forward 0 $VAL_FRAMES
val_indoor_c indoor 205 turning 2 $VAL_FRAMES --distortion-k1 -0.28
val_indoor_d indoor 207 handheld 0 $VAL_FRAMES
val_street_b street 204 forward 1 $VAL_FRAMES
val_street_c street 206 handheld 0 $VAL_FRAMES --distortion-k1 -0.35
val_street_d street 208 forward 2 $VAL_FRAMES
LIST
fi
# JOBS renders at once (xargs fails if any render fails)
xargs -P "$JOBS" -d '\n' -n 1 bash -c 'set -euo pipefail; render_one $1' _ < "$LIST"
for name in $(ls "$OUT/data"); do
  [ -f "$OUT/data/$name/manifest.csv" ] || { echo "render failed: $OUT/data/$name" >&2; exit 1; }
done
TRAIN=("$OUT"/data/train_*)
echo "rendered: ${#TRAIN[@]} training sequences in $OUT/data"
[ "${RENDER_ONLY:-0}" = 1 ] && exit 0

common=(--set model.variant=light --set "data.input_hw=$HW" --set data.train_split=all
        --set trainer.val_batches=0 --set trainer.num_workers=1 --set trainer.checkpoint_every_n_steps=250
        --no-progress)
smoke=(); SEL_EIGEN_XIAN=1000; SEL_LI=500  # checkpoints (every 250 steps) scored in selection
if [ "$SMOKE" = 1 ]; then
  smoke=(--set trainer.max_steps=4 --set trainer.checkpoint_every_n_steps=2 --set trainer.batch_size=2)
  SEL_EIGEN_XIAN=2; SEL_LI=2
fi
resume() {  # run dir -> --resume args when a checkpoint exists
  [ -f "$1/checkpoints/last.ckpt" ] && echo "--resume $1/checkpoints/last.ckpt" || true
}

# Two chains side by side, one thread each: eigen2014 then xian2018, and li2020 (then, with
# NOISE_TRIAL=1, a 12-minute li2020 trial with the official layer-norm noise for comparison).
eigen_then_xian() {
  # shellcheck disable=SC2046
  "$PY" -m training train --method eigen2014 --config config/training/eigen2014.yaml --data "${TRAIN[@]}" \
      --out "$OUT/runs/eigen2014" "${common[@]}" --max-minutes "${EIGEN_MIN:-35}" --set trainer.batch_size=8 \
      --set trainer.max_steps=18000 --set schedule.coarse_steps=$([ "$SMOKE" = 1 ] && echo 2 || echo 9000) \
      "${smoke[@]}" $(resume "$OUT/runs/eigen2014")
  # shellcheck disable=SC2046
  "$PY" -m training train --method xian2018 --config config/training/xian2018.yaml --data "${TRAIN[@]}" \
      --out "$OUT/runs/xian2018" "${common[@]}" --max-minutes "${XIAN_MIN:-115}" --set trainer.batch_size=8 \
      --set trainer.max_steps=20000 --set loss.target_source=stereo "${smoke[@]}" $(resume "$OUT/runs/xian2018")
}
# li2020 at 48x64 (more steps in the time than at 96x128) without the layer-norm noise (switched off
# by a ramp that never starts; see README for the trial with the official noise).
li() {
  # shellcheck disable=SC2046
  "$PY" -m training train --method li2020 --config config/training/li2020.yaml --data "${TRAIN[@]}" \
      --out "$OUT/runs/li2020" "${common[@]}" --set "data.input_hw=${LI_HW:-[48, 64]}" --max-minutes "${LI_MIN:-135}" \
      --set trainer.batch_size=6 --set trainer.max_steps=100000 --set schedule.layer_norm_noise_rampup_steps=100000000 \
      --set schedule.motion_field_burnin_steps=1200 --set schedule.depth_mean_steps=300 \
      "${smoke[@]}" $(resume "$OUT/runs/li2020")
  if [ "${NOISE_TRIAL:-0}" = 1 ]; then
    # shellcheck disable=SC2046
    "$PY" -m training train --method li2020 --config config/training/li2020.yaml --data "${TRAIN[@]}" \
        --out "$OUT/runs/li2020_noise" "${common[@]}" --set "data.input_hw=${LI_HW:-[48, 64]}" --max-minutes 12 \
        --set trainer.batch_size=6 --set trainer.max_steps=100000 --set schedule.layer_norm_noise_rampup_steps=500 \
        --set schedule.motion_field_burnin_steps=1200 --set schedule.depth_mean_steps=300 \
        "${smoke[@]}" $(resume "$OUT/runs/li2020_noise") || true
  fi
}
# EIGEN_CONTINUE=1: instead of eigen2014 from scratch, continue from the bundled eigen2014 weights
# (--init-from bundled) for 30000 more steps, coarse stage again to 18000 then fine (one thread,
# about 60 minutes here); selected like any eigen2014 run (this is how this round's eigen2014 was made)
eigen_continue() {
  # shellcheck disable=SC2046
  "$PY" -m training train --method eigen2014 --config config/training/eigen2014.yaml --data "${TRAIN[@]}" \
      --out "$OUT/runs/eigen2014" "${common[@]}" --init-from bundled --max-minutes "${EIGEN_MIN:-95}" \
      --set trainer.batch_size=8 --set trainer.max_steps=30000 \
      --set schedule.coarse_steps=$([ "$SMOKE" = 1 ] && echo 2 || echo 18000) \
      "${smoke[@]}" $(resume "$OUT/runs/eigen2014")
}
# XIAN_CONTINUE=1: the same for xian2018 (--init-from bundled, 12000 more steps); with both set the
# two continuations run side by side, one thread each
xian_continue() {
  # shellcheck disable=SC2046
  "$PY" -m training train --method xian2018 --config config/training/xian2018.yaml --data "${TRAIN[@]}" \
      --out "$OUT/runs/xian2018" "${common[@]}" --init-from bundled --max-minutes "${XIAN_MIN:-95}" \
      --set trainer.batch_size=8 --set trainer.max_steps=12000 --set loss.target_source=stereo \
      "${smoke[@]}" $(resume "$OUT/runs/xian2018")
}
if { [ "${EIGEN_CONTINUE:-0}" = 1 ] || [ "${XIAN_CONTINUE:-0}" = 1 ]; } && [ "${SKIP_TRAIN:-0}" != 1 ]; then
  [ "${EIGEN_CONTINUE:-0}" = 1 ] && { eigen_continue > "$OUT/eigen_continue.log" 2>&1 & }
  [ "${XIAN_CONTINUE:-0}" = 1 ] && { xian_continue > "$OUT/xian_continue.log" 2>&1 & }
  wait
  SKIP_TRAIN=1  # the other runs stay as they are; selection below scores the continued ones
fi
if [ "${SKIP_TRAIN:-0}" != 1 ]; then  # SKIP_TRAIN=1: only select, evaluate and ship (runs already trained)
  eigen_then_xian > "$OUT/eigen_xian.log" 2>&1 &
  li > "$OUT/li2020.log" 2>&1 &
  wait
fi

# every method's shipped checkpoint is chosen on the validation sequences (never the test ones)
# and replaces the bundled model only where it scores better there (the incumbent, scored the same way)
VAL=("$OUT"/data/val_*)
W=mono_depth_ros/weights
incumbent() { [ "$SMOKE" = 1 ] || echo "--incumbent $*"; }
have() { [ -d "$OUT/runs/$1/checkpoints" ]; }  # a run to select from (EIGEN_CONTINUE=1 makes only eigen2014)
# shellcheck disable=SC2046
have eigen2014 && "$PY" -m training select --run "$OUT/runs/eigen2014" --data "${VAL[@]}" --split all --every "$SEL_EIGEN_XIAN" \
    --criterion abs_rel --max-depth 60 --no-progress $(incumbent "$W/eigen2014.pt")
# shellcheck disable=SC2046
have xian2018 && "$PY" -m training select --run "$OUT/runs/xian2018" --data "${VAL[@]}" --split all --every "$SEL_EIGEN_XIAN" \
    --criterion whdr --max-depth 60 --no-progress $(incumbent "$W/xian2018.pt")
# shellcheck disable=SC2046
# li2020 by its translation direction: the bundled li2020 is there for odometry (eigen2014 and
# xian2018 cover depth); a run that predicts depth but not the direction of motion is no odometry
have li2020 && "$PY" -m training select --run "$OUT/runs/li2020" --data "${VAL[@]}" --split all --every "$SEL_LI" \
    --criterion translation_direction_error_deg --max-depth 60 --no-progress $(incumbent "$W/li2020_depth.pt" "$W/li2020_motion.pt")

for test in test_indoor test_street; do
  for spec in eigen2014/selected/eigen2014 xian2018/selected/xian2018 li2020/selected/li2020_depth; do
    [ -f "$OUT/runs/$spec.pt" ] || continue
    "$PY" -m training evaluate --checkpoint "$OUT/runs/$spec.pt" --data "$OUT/data/$test" --split all \
        --max-depth 60 --out "$OUT/eval/${spec%%/*}/$test"
  done
done
if [ "$SMOKE" = 1 ]; then
  echo "smoke done: models in $OUT/runs, reports in $OUT/eval (bundled weights untouched)"
  exit 0
fi
# The copies below replace a bundled model only where its run's selection says "ship" (it beat the
# bundled model on the validation sequences with the method's criterion).
# shellcheck source=benchmarks/ship_selected.sh
. benchmarks/ship_selected.sh
for spec in eigen2014/selected/eigen2014 xian2018/selected/xian2018 li2020/selected/li2020_depth li2020/selected/li2020_motion; do
  ship_selected "$PY" "$OUT/runs/$spec.pt" "mono_depth_ros/weights/${spec##*/}.pt"
done
echo "done: models in $OUT/runs, reports in $OUT/eval, demo weights in mono_depth_ros/weights/"
