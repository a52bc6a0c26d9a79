# Sourced by the demo training recipes (then `recipe_setup "$@"`): rendering of the short synthetic
# sequences, resuming, and shipping (ship_selected.sh).
# shellcheck shell=bash

recipe_setup() {  # [OUT_DIR]: the repository root as working folder, OUT (default runs/demo), PY, W,
  # one thread per process
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  OUT=${1:-runs/demo}
  PY=${PY:-.venv/bin/python}
  W=mono_depth_ros/weights
  export OMP_NUM_THREADS=1
}

render() {  # name scene seed trajectory moving_objects [extra flags]: one sequence of FRAMES frames
  # (default 60) of SIZE (default 160x120: the networks' input), extracted; LIGHTING=shadows lights it
  # with cast shadows, a lamp indoors and darkened creases (stage 31; default: flat); TEXTURES=heldout
  # covers it in photographs no training render uses (validation only: heldout_texture_validation);
  # SHAPES=curved turns some props round (`training synth --shapes curved`); FPS=hz sets the frame
  # rate (default 10: `training synth`'s; a lower rate moves the camera further between frames)
  local bag="$OUT/bags/$1" data="$OUT/data/$1"
  [ -f "$data/manifest.csv" ] && return 0
  rm -rf "$bag"
  mkdir -p "$OUT/bags" "$OUT/data"
  "$PY" -m training synth --out "$bag" --frames "${FRAMES:-60}" --size "${SIZE:-160x120}" --scene "$2" --seed "$3" --trajectory "$4" \
      --moving-objects "$5" --stereo --realistic --lighting "${LIGHTING:-flat}" ${TEXTURES:+--textures "$TEXTURES"} \
      ${SHAPES:+--shapes "$SHAPES"} ${FPS:+--fps "$FPS"} \
      "${@:6}" > "$OUT/bags/$1.synth.log" 2>&1
  "$PY" -m training extract "$bag" --out "$data" > "$OUT/bags/$1.extract.log" 2>&1
  rm -rf "$bag"
}
render_seeds() {  # scene seed... : camera path, moving objects and lens follow the seed as in stage 1
  # (desk as indoor); named PREFIX_<scene>_<seed> (PREFIX default more); VERTICAL=M adds an up-and-down
  # excursion of amplitude M metres to every camera path (stage 29); TRAJECTORY=kind gives every
  # sequence that camera path instead (stage 38: panning)
  local scene=$1 s flags paths; shift
  if [ "$scene" != street ]; then paths=(handheld forward turning); else paths=(forward turning handheld); fi
  for s in "$@"; do
    flags=(); [ $((s % 4)) = 0 ] && flags=(--distortion-k1 "$([ "$scene" != street ] && echo -0.28 || echo -0.35)")
    [ -z "${VERTICAL:-}" ] || flags+=(--vertical-motion "$VERTICAL")
    render "${PREFIX:-more}_${scene}_$s" "$scene" "$s" "${TRAJECTORY:-${paths[$((s % 3))]}}" \
        "$([ "$scene" != street ] && echo $((s % 3)) || echo $(((s + 1) % 3)))" "${flags[@]}"
  done
}
# the 8 validation sequences (name scene seed trajectory moving_objects [lens]), as train_demo_models.sh renders them
VAL_SEQUENCES=("val_indoor indoor 201 handheld 1" "val_indoor_b indoor 203 forward 0"
               "val_indoor_c indoor 205 turning 2 --distortion-k1 -0.28" "val_indoor_d indoor 207 handheld 0"
               "val_street street 202 turning 2" "val_street_b street 204 forward 1"
               "val_street_c street 206 handheld 0 --distortion-k1 -0.35" "val_street_d street 208 forward 2")
render_validation() {  # scene: that world's validation sequences where they are missing (named
  # VAL_PREFIX_<rest of the name>, VAL_PREFIX default val); fails if one did not render
  local spec words name
  for spec in "${VAL_SEQUENCES[@]}"; do
    read -ra words <<< "$spec"
    [ "${words[1]}" = "$1" ] || continue
    name="${VAL_PREFIX:-val}_${words[0]#val_}"
    render "$name" "${words[@]:1}"
    [ -f "$OUT/data/$name/manifest.csv" ] || { echo "error: render failed: $OUT/data/$name" >&2; return 1; }
  done
}
# The broad validation set (stage 19 on): 48 short sequences, 24 rooms (seeds 9001-9024) and 24
# streets (9501-9524), 12 frames each, paths, moving objects and lenses by seed as the training
# sequences'. The same number of frames as the 8 sequences above, six times the scenes: on those 8,
# one or two sequences decided li2020's direction criterion (stage 17's third sitting: val_indoor_c
# alone moved the mean by up to 1 deg, against a 0.6 deg margin).
render_broad_seeds() {  # prefix: the broad set's 48 short sequences where missing, two processes side
  # by side, named PREFIX_<scene>_<seed>; with DESK_VAL=1 also its 24 desk sequences
  mkdir -p "$OUT/bags" "$OUT/data"
  local indoor street
  FRAMES=12 PREFIX=$1 render_seeds indoor $(seq 9001 9024) & indoor=$!
  FRAMES=12 PREFIX=$1 render_seeds street $(seq 9501 9524) & street=$!
  wait "$indoor"; wait "$street"
  [ "${DESK_VAL:-0}" != 1 ] || FRAMES=12 PREFIX=$1 render_split desk 9801 9824
}
render_broad_validation() {  # the 48 where missing, two processes side by side; BROAD_VAL = the 8 and the 48;
  # with DESK_VAL=1 (stage 23 on) also 24 close-range desk sequences (seeds 9801-9824, 12 frames): 80
  local want=56
  render_broad_seeds valb
  [ "${DESK_VAL:-0}" != 1 ] || want=80
  mapfile -t BROAD_VAL < <(compgen -G "$OUT/data/val_*" || true; compgen -G "$OUT/data/valb_indoor_*" || true
                           compgen -G "$OUT/data/valb_street_*" || true
                           [ "${DESK_VAL:-0}" = 1 ] && { compgen -G "$OUT/data/valb_desk_*" || true; })
  [ "${#BROAD_VAL[@]}" = "$want" ] || { echo "error: ${#BROAD_VAL[@]} validation sequences, not $want" >&2; return 1; }
}
desk_v2_stage_data() {  # stage: stages 26-27's data, rendered where missing: stage 10's 300 sequences
  # (stage10_data), 100 desk v2 sequences (10001-10100) in DATA, the 80 validation sequences in BROAD_VAL;
  # prints what the stage trains and selects on
  stage10_data 7200 8100
  desk_data 10001 10100
  DESK_VAL=1 render_broad_validation
  echo "stage $1: ${#DATA[@]} training sequences, ${#BROAD_VAL[@]} validation sequences; training from $(date)"
}
vertical_stage_data() {  # stage 29's 150 sequences with a vertical excursion (`training synth
  # --vertical-motion`) where missing, two processes side by side; VDATA = those (stages 29 and 30)
  local a b s
  { VERTICAL=0.5 PREFIX=vert render_seeds indoor $(seq 11001 11060)
    VERTICAL=0.2 PREFIX=vert render_seeds desk $(seq 11801 11825); } & a=$!
  { VERTICAL=1.0 PREFIX=vert render_seeds street $(seq 11501 11540)
    VERTICAL=0.2 PREFIX=vert render_seeds desk $(seq 11826 11850); } & b=$!
  wait "$a"; wait "$b"
  VDATA=()
  for s in $(seq 11001 11060); do VDATA+=("$OUT/data/vert_indoor_$s"); done
  for s in $(seq 11501 11540); do VDATA+=("$OUT/data/vert_street_$s"); done
  for s in $(seq 11801 11850); do VDATA+=("$OUT/data/vert_desk_$s"); done
  for s in "${VDATA[@]}"; do [ -f "$s/manifest.csv" ] || { echo "error: render failed: $s" >&2; exit 1; }; done
}
twin_validation() {  # val_prefix valb_prefix what: the 80 validation sequences of render_broad_validation
  # (DESK_VAL=1) again, the same seeds, scenes and paths, rendered as the caller's SIZE, LIGHTING, TEXTURES
  # and SHAPES say, as VAL_PREFIX_* and VALB_PREFIX_* where missing; TWIN_VAL = those; fails naming WHAT
  # when not all 80 are there. Call it plainly: an `||` after the call would switch off set -e inside it
  VAL_PREFIX=$1 render_validation indoor
  VAL_PREFIX=$1 render_validation street
  DESK_VAL=1 render_broad_seeds "$2"
  mapfile -t TWIN_VAL < <(compgen -G "$OUT/data/$1_*" || true; [ "$1" = "$2" ] || compgen -G "$OUT/data/$2_*" || true)
  [ "${#TWIN_VAL[@]}" = 80 ] || { echo "error: ${#TWIN_VAL[@]} $3 validation sequences, not 80" >&2; return 1; }
}
render_camera_resolution_validation() {  # the 80 validation sequences at 480 lines (SIZE 640x480; the width
  # follows each camera's aspect) as valhr_*, where missing; HR_VAL = those. For choices made at the
  # camera's resolution, not the network's (motion_refinement: a 160x120 render gives an alignment
  # nothing the network did not see)
  SIZE=640x480 twin_validation valhr valhr camera-resolution
  HR_VAL=("${TWIN_VAL[@]}")
  [ "${#HR_VAL[@]}" = 80 ]
}
lit_validation() {  # the 80 validation sequences lit with shadows (LIGHTING=shadows) as litval_* and
  # litvalb_*, where missing; LIT_BROAD_VAL = those (stage 31)
  LIGHTING=shadows twin_validation litval litvalb lit
  LIT_BROAD_VAL=("${TWIN_VAL[@]}")
  [ "${#LIT_BROAD_VAL[@]}" = 80 ]
}
heldout_texture_validation() {  # the 80 validation sequences with the same looks, their photographic surfaces
  # covered in photographs no training render uses (TEXTURES=heldout: scikit-learn's and matplotlib's
  # sample photos) as htval_* and htvalb_*, where missing; HT_VAL = those. For how far a network carries
  # to surfaces it never saw (benchmarks/heldout_textures.py); never trained on
  TEXTURES=heldout twin_validation htval htvalb "held-out texture"
  HT_VAL=("${TWIN_VAL[@]}")
  [ "${#HT_VAL[@]}" = 80 ]
}
curved_validation() {  # the 80 validation sequences lit (LIGHTING=shadows) and with some props round
  # (SHAPES=curved) as cvval_* and cvvalb_*, where missing; CURVED_VAL_SET = those (stage 33)
  SHAPES=curved LIGHTING=shadows twin_validation cvval cvvalb curved
  CURVED_VAL_SET=("${TWIN_VAL[@]}")
  [ "${#CURVED_VAL_SET[@]}" = 80 ]
}
metered_validation() {  # the 80 curved validation sequences (curved_validation) with their frames metered
  # like a camera's auto exposure (benchmarks/metered_twin.py: one gain a sequence, middle grey +-1 EV)
  # as mtval_* and mtvalb_*, where missing; METERED_VAL_SET = those (stage 36)
  curved_validation
  "$PY" benchmarks/metered_twin.py --rename cvval:mtval "${CURVED_VAL_SET[@]}" > "$OUT/data/metered_twin.log" 2>&1
  mapfile -t METERED_VAL_SET < <(compgen -G "$OUT/data/mtval_*" || true; compgen -G "$OUT/data/mtvalb_*" || true)
  [ "${#METERED_VAL_SET[@]}" = 80 ] || { echo "error: ${#METERED_VAL_SET[@]} metered validation sequences, not 80" >&2; return 1; }
}
render_panning() {  # scene seed...: render_seeds with every camera looking around at hand-held rates
  # (`training synth --trajectory panning`), lit with round props as stage 33's (stage 38)
  TRAJECTORY=panning SHAPES=curved LIGHTING=shadows render_seeds "$@"
}
panning_stage_data() {  # stage 38's 200 training sequences (render_panning): rooms 14001-14100, streets
  # 14501-14540, desks 14801-14860, as pan_*, where missing, two processes side by side; PDATA = those
  local a b s
  { PREFIX=pan render_panning indoor $(seq 14001 14050); PREFIX=pan render_panning street $(seq 14501 14520)
    PREFIX=pan render_panning desk $(seq 14801 14830); } & a=$!
  { PREFIX=pan render_panning indoor $(seq 14051 14100); PREFIX=pan render_panning street $(seq 14521 14540)
    PREFIX=pan render_panning desk $(seq 14831 14860); } & b=$!
  wait "$a"; wait "$b"
  PDATA=()
  for s in $(seq 14001 14100); do PDATA+=("$OUT/data/pan_indoor_$s"); done
  for s in $(seq 14501 14540); do PDATA+=("$OUT/data/pan_street_$s"); done
  for s in $(seq 14801 14860); do PDATA+=("$OUT/data/pan_desk_$s"); done
  for s in "${PDATA[@]}"; do [ -f "$s/manifest.csv" ] || { echo "error: render failed: $s" >&2; exit 1; }; done
}
panning_validation() {  # 40 short validation sequences (12 frames, render_panning) on seeds no training or
  # other validation render uses: rooms 9101-9116, streets 9601-9612, desks 9901-9912, as pnvalb_*, where
  # missing; PANNING_VAL_SET = those (stage 38)
  local a b
  { FRAMES=12 PREFIX=pnvalb render_panning indoor $(seq 9101 9116)
    FRAMES=12 PREFIX=pnvalb render_panning desk $(seq 9901 9904); } & a=$!
  { FRAMES=12 PREFIX=pnvalb render_panning street $(seq 9601 9612)
    FRAMES=12 PREFIX=pnvalb render_panning desk $(seq 9905 9912); } & b=$!
  wait "$a"; wait "$b"
  mapfile -t PANNING_VAL_SET < <(compgen -G "$OUT/data/pnvalb_*" || true)
  [ "${#PANNING_VAL_SET[@]}" = 40 ] || { echo "error: ${#PANNING_VAL_SET[@]} panning validation sequences, not 40" >&2; return 1; }
}
panning_world_data() {  # stage: stage 38's data, rendered where missing: stage 37's training sequences
  # (lit_world_data, the curved ones) and the 200 panning ones in DATA; stage 37's validation sequences and
  # the 40 panning ones (stages 38 and 39)
  lit_world_data "$1"
  curved_stage_data
  DATA+=("${CDATA[@]}")
  panning_stage_data
  DATA+=("${PDATA[@]}")
  metered_validation
  panning_validation
}
fast_panning_validation() {  # 40 validation sequences (12 frames, render_panning) at 2.5 Hz: the panning
  # camera 4 times further between frames (6.4 deg a pair on average, up to 12), on seeds no other render
  # uses: rooms 9121-9136, streets 9621-9632, desks 9921-9932, as pnfvalb_*, where missing;
  # FAST_PANNING_VAL_SET = those (stage 39)
  local a b
  { FPS=2.5 FRAMES=12 PREFIX=pnfvalb render_panning indoor $(seq 9121 9136)
    FPS=2.5 FRAMES=12 PREFIX=pnfvalb render_panning desk $(seq 9921 9924); } & a=$!
  { FPS=2.5 FRAMES=12 PREFIX=pnfvalb render_panning street $(seq 9621 9632)
    FPS=2.5 FRAMES=12 PREFIX=pnfvalb render_panning desk $(seq 9925 9932); } & b=$!
  wait "$a"; wait "$b"
  mapfile -t FAST_PANNING_VAL_SET < <(compgen -G "$OUT/data/pnfvalb_*" || true)
  [ "${#FAST_PANNING_VAL_SET[@]}" = 40 ] || { echo "error: ${#FAST_PANNING_VAL_SET[@]} fast panning validation sequences, not 40" >&2; return 1; }
}
render_240() {  # prefix base: 240 training sequences where missing, rendered as the caller's LIGHTING and
  # SHAPES say and named PREFIX_<scene>_<seed>: rooms BASE+1..BASE+100, streets BASE+501..BASE+560, desks
  # BASE+801..BASE+880, two processes side by side; SET240 = those; exits when one did not render
  local prefix=$1 base=$2 a b s
  { PREFIX=$prefix render_seeds indoor $(seq $((base + 1)) $((base + 50)))
    PREFIX=$prefix render_seeds street $(seq $((base + 501)) $((base + 530)))
    PREFIX=$prefix render_seeds desk $(seq $((base + 801)) $((base + 840))); } & a=$!
  { PREFIX=$prefix render_seeds indoor $(seq $((base + 51)) $((base + 100)))
    PREFIX=$prefix render_seeds street $(seq $((base + 531)) $((base + 560)))
    PREFIX=$prefix render_seeds desk $(seq $((base + 841)) $((base + 880))); } & b=$!
  wait "$a"; wait "$b"
  SET240=()
  for s in $(seq $((base + 1)) $((base + 100))); do SET240+=("$OUT/data/${prefix}_indoor_$s"); done
  for s in $(seq $((base + 501)) $((base + 560))); do SET240+=("$OUT/data/${prefix}_street_$s"); done
  for s in $(seq $((base + 801)) $((base + 880))); do SET240+=("$OUT/data/${prefix}_desk_$s"); done
  for s in "${SET240[@]}"; do [ -f "$s/manifest.csv" ] || { echo "error: render failed: $s" >&2; exit 1; }; done
}
curved_stage_data() {  # stage 33's 240 lit training sequences with round props (rooms 13001-13100, streets
  # 13501-13560, desks 13801-13880) where missing; CDATA = those
  SHAPES=curved LIGHTING=shadows render_240 curv 13000
  CDATA=("${SET240[@]}")
}
lit_stage_data() {  # stage 31's 240 lit training sequences (rooms 12001-12100, streets 12501-12560, desks
  # 12801-12880) where missing; LDATA = those (stages 31 and 32)
  LIGHTING=shadows render_240 lit 12000
  LDATA=("${SET240[@]}")
}
lit_world_data() {  # stage: stage 31's data, rendered where missing: stage 30's 550 sequences and the 240
  # lit ones in DATA, the 80 validation sequences in both lights (BROAD_VAL, LIT_BROAD_VAL); stages 31 and 32
  desk_v2_stage_data "$1"
  vertical_stage_data
  DATA+=("${VDATA[@]}")
  lit_stage_data
  DATA+=("${LDATA[@]}")
  lit_validation
  echo "stage $1: ${#DATA[@]} training sequences, $((${#BROAD_VAL[@]} + ${#LIT_BROAD_VAL[@]})) validation sequences"
}
render_split() {  # scene FIRST LAST: render_seeds FIRST..LAST where missing, odd and even seeds in two
  # processes side by side
  local a b
  render_seeds "$1" $(seq "$2" 2 "$3") & a=$!
  render_seeds "$1" $(seq $(($2 + 1)) 2 "$3") & b=$!
  wait "$a"; wait "$b"
}
desk_data() {  # FIRST LAST: close-range desk training sequences (stage 23 on) where missing, two processes
  # side by side, added to DATA
  local s
  PREFIX=more render_split desk "$1" "$2"
  for s in $(seq "$1" "$2"); do DATA+=("$OUT/data/more_desk_$s"); done
}
stage10_data() {  # LAST_ROOM LAST_STREET: the 8 validation sequences and stage 10's training sequences
  # rooms 7001-LAST_ROOM and streets 8001-LAST_STREET where missing, two processes side by side
  # (render_split); DATA = those
  mkdir -p "$OUT/bags" "$OUT/data"
  local indoor street s
  render_validation indoor & indoor=$!
  render_validation street & street=$!
  wait "$indoor"; wait "$street"
  PREFIX=more render_split indoor 7001 "$1"
  PREFIX=more render_split street 8001 "$2"
  DATA=()
  for s in $(seq 7001 "$1"); do DATA+=("$OUT/data/more_indoor_$s"); done
  for s in $(seq 8001 "$2"); do DATA+=("$OUT/data/more_street_$s"); done
}
imagenet_stage_data() { stage10_data 7030 8020; }  # stages 14-16: 50 of them (30 rooms, 20 streets)
more_training_data() {  # DATA = every training sequence; exits 2 when train_demo_more.sh has not run
  compgen -G "$OUT/data/more_*" > /dev/null || { echo "error: no $OUT/data/more_*: run benchmarks/train_demo_more.sh first" >&2; exit 2; }
  mapfile -t DATA < <(compgen -G "$OUT/data/train_*" || true; compgen -G "$OUT/data/more_*")
  echo "training sequences: ${#DATA[@]}"
}
validation_set() {  # VAL_SET = the validation sequences a selection scores: the 8 (val_*), or with BROAD=1
  # the broad set (render_broad_validation; DESK_VAL=1 adds its desks); LIT_VAL=1 adds the same 80 lit
  # (stages 31-32), CURVED_VAL=1 lit with round props (stage 33), METERED_VAL=1 those metered (stage 36),
  # PANNING_VAL=1 40 sequences looking around at hand-held rates (stage 38), FAST_PANNING_VAL=1 40 more
  # at 2.5 Hz (stage 39); each rendered where missing
  VAL_SET=("$OUT"/data/val_*)
  [ -z "${BROAD:-}" ] || { render_broad_validation; VAL_SET=("${BROAD_VAL[@]}"); }
  [ -z "${LIT_VAL:-}" ] || { lit_validation; VAL_SET+=("${LIT_BROAD_VAL[@]}"); }
  [ -z "${CURVED_VAL:-}" ] || { curved_validation; VAL_SET+=("${CURVED_VAL_SET[@]}"); }
  [ -z "${METERED_VAL:-}" ] || { metered_validation; VAL_SET+=("${METERED_VAL_SET[@]}"); }
  [ -z "${PANNING_VAL:-}" ] || { panning_validation; VAL_SET+=("${PANNING_VAL_SET[@]}"); }
  [ -z "${FAST_PANNING_VAL:-}" ] || { fast_panning_validation; VAL_SET+=("${FAST_PANNING_VAL_SET[@]}"); }
}
select_run() {  # method run: pick the run's checkpoint on the 8 validation sequences (with BROAD=1, from
  # stage 19 on: the broad validation set), the shipped model scored beside it (eigen2014 by AbsRel
  # every 1000 steps, xian2018 by WHDR every 500; CRITERION overrides; ALSO=criterion:tolerance adds --also)
  local every=1000 criterion=abs_rel val=() also=()
  [ "$1" = xian2018 ] && { every=500; criterion=whdr; }
  validation_set; val=("${VAL_SET[@]}")
  [ -n "${ALSO:-}" ] && also=(--also "${ALSO%%:*}" --tolerance "${ALSO##*:}")
  "$PY" -m training select --run "$OUT/runs/$2" --data "${val[@]}" --split all --every "$every" \
      --criterion "${CRITERION:-$criterion}" "${also[@]}" --max-depth 60 --no-progress --incumbent "$W/$1.pt"
}
select_ship() {  # method run: select_run, and ship the pick only if it wins
  select_run "$1" "$2"
  ship_selected "$PY" "$OUT/runs/$2/selected/$1.pt" "$W/$1.pt"
}
select_ship_li() {  # run: pick li2020 (depth and motion) on the validation sequences by translation direction
  # error AND depth AbsRel / constant map (--also), against the shipped pair, every SEL_EVERY steps
  # (default 500); ships only a winner: no more than 2 % worse on either and better on one (stages
  # 8-12); with DIRECTION_BETTER=1 (stages 16-17) also better in direction error; with BROAD=1
  # (stage 19 on) on the broad validation set (render_broad_validation), each sequence weighted alike;
  # with LIT_VAL=1 (stage 32) also on the same 80 lit (lit_validation)
  local val=()
  validation_set; val=("${VAL_SET[@]}")
  "$PY" -m training select --run "$OUT/runs/$1" --data "${val[@]}" --split all --every "${SEL_EVERY:-500}" \
      --criterion translation_direction_error_deg --also abs_rel_vs_constant --tolerance 0.02 --max-depth 60 \
      --no-progress --incumbent "$W/li2020_depth.pt" "$W/li2020_motion.pt"
  if [ "${DIRECTION_BETTER:-0}" = 1 ] && ! "$PY" -c "import json, sys; d = json.load(open(sys.argv[1]))
sys.exit(0 if d['ship'] and d['best_score'] < d['incumbent']['score'] else 1)" "$OUT/runs/$1/selected/selection.json"; then
    echo "kept the shipped li2020: no pick is better in translation direction error (DIRECTION_BETTER=1)"
    return 0
  fi
  local spec
  for spec in li2020_depth li2020_motion; do
    ship_selected "$PY" "$OUT/runs/$1/selected/$spec.pt" "$W/$spec.pt"
  done
}
ship_within() {  # method run: ship RUN/selected/<method>.pt when its validation score is within TOLERANCE
  local sel="$OUT/runs/$2/selected" verdict=0
  [ -f "$sel/selection.json" ] || { echo "error: no $sel/selection.json: nothing shipped" >&2; return 1; }
  "$PY" -c "import json, sys; d = json.load(open(sys.argv[1])); tol = float(sys.argv[2])
best, inc = d['best_score'], d['incumbent']['score']
print(f'{sys.argv[3]}: best step {d[\"best_step\"]} scores {best:.4f} on validation, the shipped weights {inc:.4f}')
sys.exit(0 if best <= inc * (1 + tol) else 3)" "$sel/selection.json" "${TOLERANCE:-0.02}" "$1" || verdict=$?
  if [ "$verdict" = 0 ]; then
    ship_copy "$PY" "$sel/$1.pt" "$W/$1.pt"
  elif [ "$verdict" = 3 ]; then
    echo "kept $W/$1.pt: the pick is more than $("$PY" -c "print(100 * ${TOLERANCE:-0.02})") % worse on validation"
  else
    echo "error: could not read $sel/selection.json" >&2; return 1
  fi
}
resume() { [ -f "$1/checkpoints/last.ckpt" ] && echo "--resume $1/checkpoints/last.ckpt" || true; }
# li2020 at 96x128 from trained weights (stage 7 on): lr 1e-4, no layer-norm noise, no warm-up schedules
LI_CONTINUE=(--set trainer.batch_size=6 --set trainer.max_steps=100000 --set optimizer.lr=0.0001
             --set schedule.layer_norm_noise_rampup_steps=100000000 --set schedule.motion_field_burnin_steps=0
             --set schedule.depth_mean_steps=0)
# xian2018 continued from trained weights: stereo targets, a low learning rate
XIAN_CONTINUE=(--set trainer.max_steps=8000 --set loss.target_source=stereo --set optimizer.lr=0.00002)
train_light() {  # method run init minutes log [extra args]: the light variant at 96x128 on DATA, one
  # thread, a checkpoint every 250 steps, resumed from RUN/checkpoints/last.ckpt when there is one
  local method=$1 run=$2 init=$3 minutes=$4 log=$5; shift 5
  # shellcheck disable=SC2046
  "$PY" -m training train --method "$method" --config "config/training/$method.yaml" --data "${DATA[@]}" \
      --out "$OUT/runs/$run" --set model.variant=light --set "data.input_hw=[96, 128]" --set data.train_split=all \
      --set trainer.val_batches=0 --set trainer.num_workers=1 --set trainer.checkpoint_every_n_steps=250 \
      --no-progress --set trainer.batch_size=8 --init-from "$init" --max-minutes "$minutes" "$@" \
      $(resume "$OUT/runs/$run") > "$OUT/$log" 2>&1
}
train_xian_lite0() {  # run minutes log threads [extra args]: xian2018 lite0 at 120x160 on DATA with stereo
  # targets, batch 8, a checkpoint every 250 steps, resumed from RUN/checkpoints/last.ckpt when there
  # is one (stages 14 and 18; the start and learning rate come in the extra args)
  local run=$1 minutes=$2 log=$3 threads=$4; shift 4
  # shellcheck disable=SC2046
  OMP_NUM_THREADS=$threads "$PY" -m training train --method xian2018 --config config/training/xian2018.yaml \
      --data "${DATA[@]}" --out "$OUT/runs/$run" --set model.variant=lite0 --set "data.input_hw=[120, 160]" \
      --set data.train_split=all --set loss.target_source=stereo --set trainer.val_batches=0 \
      --set trainer.num_workers=1 --set trainer.checkpoint_every_n_steps=250 --set trainer.batch_size=8 \
      --set trainer.max_steps=100000 --no-progress --max-minutes "$minutes" "$@" \
      $(resume "$OUT/runs/$run") > "$OUT/$log" 2>&1
}
continue_xian_lite0() {  # run minutes log threads lr [extra args]: the shipped xian2018 (copied to
  # RUN_start.pt where missing) trained on at LR (train_xian_lite0, with the extra args), selected by
  # select_run (BROAD=1: the broad set) and shipped by ship_within at TOLERANCE (default 0: only when
  # no worse); stages 18 and 22
  local run=$1 start="$OUT/runs/$1_start.pt"
  mkdir -p "$OUT/runs"
  [ -f "$start" ] || cp "$W/xian2018.pt" "$start"
  train_xian_lite0 "$run" "$2" "$3" "$4" --init-from "$start" --set optimizer.lr="$5" "${@:6}"
  select_run xian2018 "$run"
  TOLERANCE=${TOLERANCE:-0} ship_within xian2018 "$run"
}
eigen_lite0_start() {  # coarse_run start_pt: START_PT (where missing) = RUN's last coarse network with the
  # shipped eigen2014's fine network (benchmarks/eigen_lite0_start.py); stages 20 and 21
  [ -f "$2" ] || "$PY" benchmarks/eigen_lite0_start.py --coarse "$OUT/runs/$1/checkpoints/last.ckpt" \
      --fine "$W/eigen2014.pt" --out "$2"
}
eigen_coarse_then_fine() {  # stage coarse_start fine_start lr [extra args, to both stages]: eigen2014 lite0's
  # two stages (stages 21 and 24):
  # coarse from COARSE_START (Adam at LR, COARSE_MIN minutes, default 30) as eigen2014_STAGE_coarse, then
  # FINE_START (where missing) = its last coarse network with the shipped fine network, and the fine
  # stage (coarse frozen) from it at the paper's SGD rates divided by 10, FINE_MIN minutes (default
  # 20), as eigen2014_STAGE; both resumable
  local stage=$1 coarse_start=$2 fine_start=$3 lr=$4
  train_eigen_lite0 "eigen2014_${stage}_coarse" "${COARSE_MIN:-30}" "eigen_${stage}_coarse.log" \
      --init-from "$coarse_start" --set schedule.coarse_steps=100000 --set optimizer.kind=adam \
      --set optimizer.lr_coarse_conv="$lr" --set optimizer.lr_coarse_fc="$lr" "${@:5}"
  eigen_lite0_start "eigen2014_${stage}_coarse" "$fine_start"
  train_eigen_lite0 "eigen2014_$stage" "${FINE_MIN:-20}" "eigen_${stage}_fine.log" --init-from "$fine_start" \
      --set schedule.coarse_steps=0 --set optimizer.lr_fine_layer1=0.0001 --set optimizer.lr_fine_layer2=0.001 \
      --set optimizer.lr_fine_layer3=0.0001 "${@:5}"
}
continue_eigen_lite0() {  # stage lr [extra args]: the shipped eigen2014 (copied to eigen2014_STAGE_start.pt where missing)
  # through eigen_coarse_then_fine at LR on EIGEN_THREADS threads (default 1 here; COARSE_MIN and FINE_MIN
  # as there), then selected on the broad validation set with the desks by silog, AbsRel within 5 %
  # (stage 26's rule), and shipped only when it wins (stages 26, 27 and 30)
  local start="$OUT/runs/eigen2014_$1_start.pt"
  mkdir -p "$OUT/runs"
  [ -f "$start" ] || cp "$W/eigen2014.pt" "$start"
  EIGEN_THREADS=${EIGEN_THREADS:-1} eigen_coarse_then_fine "$1" "$start" "$OUT/runs/eigen2014_$1_fine_start.pt" "$2" \
      "${@:3}"
  BROAD=1 DESK_VAL=1 CRITERION=silog ALSO=abs_rel:0.05 select_ship eigen2014 "eigen2014_$1"
}
train_eigen_lite0() {  # run minutes log [extra args]: eigen2014 lite0 at 120x160 on DATA with colour jitter,
  # batch 8, a checkpoint every 250 steps, EIGEN_THREADS threads (default 2), resumed from
  # RUN/checkpoints/last.ckpt when there is one (stages 15 and 20; start, schedule and optimizer in the extra args)
  local run=$1 minutes=$2 log=$3; shift 3
  # shellcheck disable=SC2046
  OMP_NUM_THREADS=${EIGEN_THREADS:-2} "$PY" -m training train --method eigen2014 \
      --config config/training/eigen2014.yaml --data "${DATA[@]}" --out "$OUT/runs/$run" --set model.variant=lite0 \
      --set "data.input_hw=[120, 160]" --set data.train_split=all --set data.colour_jitter=1.0 \
      --set trainer.val_batches=0 --set trainer.num_workers=1 --set trainer.checkpoint_every_n_steps=250 \
      --set trainer.batch_size=8 --set trainer.max_steps=100000 --no-progress --max-minutes "$minutes" "$@" \
      $(resume "$OUT/runs/$run") > "$OUT/$log" 2>&1
}
train_li_lite0() {  # run minutes log threads [extra args]: li2020 lite0 (depth and motion) at 120x160 on DATA,
  # batch 6, a checkpoint every 250 steps, LI_CONTINUE's schedules, resumed from RUN/checkpoints/last.ckpt
  # when there is one (stages 17 and 19; the start and learning rate come in the extra args)
  local run=$1 minutes=$2 log=$3 threads=$4; shift 4
  # shellcheck disable=SC2046
  OMP_NUM_THREADS=$threads "$PY" -m training train --method li2020 --config config/training/li2020.yaml \
      --data "${DATA[@]}" --out "$OUT/runs/$run" --set model.variant=lite0 --set "data.input_hw=[120, 160]" \
      --set data.train_split=all --set trainer.val_batches=0 --set trainer.num_workers=1 \
      --set trainer.checkpoint_every_n_steps=250 "${LI_CONTINUE[@]}" --no-progress --max-minutes "$minutes" "$@" \
      $(resume "$OUT/runs/$run") > "$OUT/$log" 2>&1
}
li_start_from_pick() {  # stage run: RUN's selected li2020 pair copied once to OUT/runs/li2020_stageSTAGE_start, where
  # train_li_from_shipped starts from it instead of the shipped pair (stages 41-43: stage 40's pick); exits when
  # RUN has no selected pair
  local start="$OUT/runs/li2020_stage$1_start" pick="$OUT/runs/$2/selected"
  [ ! -f "$start/li2020_motion.pt" ] || return 0
  [ -f "$pick/li2020_motion.pt" ] || { echo "error: no $pick: run the stage that makes $2 first" >&2; exit 1; }
  mkdir -p "$start"; cp "$pick/li2020_depth.pt" "$pick/li2020_motion.pt" "$start/"
}
train_li_from_shipped() {  # stage [extra args]: li2020 from the shipped pair (copied once to
  # RUN_start, so a resumed run starts from the same weights) at stage 34's recipe (lr 3e-5, batch 6,
  # 120x160, one thread (LI_THREADS when set), LI_MIN minutes, default 60), as li2020_stageN, logging to li_stageN.log
  local stage=$1 start="$OUT/runs/li2020_stage$1_start"; shift
  [ -f "$start/li2020_motion.pt" ] || { mkdir -p "$start"; cp "$W/li2020_depth.pt" "$W/li2020_motion.pt" "$start/"; }
  train_li_lite0 "li2020_stage$stage" "${LI_MIN:-60}" "li_stage$stage.log" "${LI_THREADS:-1}" --init-from "$start" \
      --set optimizer.lr=0.00003 "$@"
}
li_stage_120x160() {  # run minutes log [extra args]: li2020 (depth and motion) continued from the shipped
  # weights at 120x160, lr 3e-5, on every training sequence (validation rendered where missing), on
  # LI_THREADS threads (default 2), then selected against the shipped pair every SEL_EVERY steps
  # (default 1000); ships only a winner (stages 11-12)
  local run=$1 minutes=$2 log=$3; shift 3
  mkdir -p "$OUT/bags" "$OUT/data"
  render_validation indoor
  render_validation street
  more_training_data
  OMP_NUM_THREADS=${LI_THREADS:-2} train_light li2020 "$run" bundled "$minutes" "$log" \
      "${LI_CONTINUE[@]}" --set optimizer.lr=0.00003 --set "data.input_hw=[120, 160]" "$@"
  SEL_EVERY=${SEL_EVERY:-1000} select_ship_li "$run"
}
# shellcheck source=benchmarks/ship_selected.sh
. "$(dirname "${BASH_SOURCE[0]}")/ship_selected.sh"
run_xian_and_eigen() {  # stage: the calling script's `xian` and `eigen` functions as ONLY says: eigen,
  # xian, or both (default) side by side with their output in OUT/stageSTAGE_{xian,eigen}.out; returns 1
  # when one failed (stages 27, 30 and 31)
  local status=0 x e
  case "${ONLY:-both}" in
    eigen) eigen || status=1 ;;
    xian) xian || status=1 ;;
    both) xian > "$OUT/stage$1_xian.out" 2>&1 & x=$!
          eigen > "$OUT/stage$1_eigen.out" 2>&1 & e=$!
          wait "$x" || status=1; wait "$e" || status=1 ;;
    *) echo "error: ONLY=${ONLY}: expected eigen, xian or both" >&2; exit 2 ;;
  esac
  echo "stage $1 done at $(date) (status $status); see $OUT/stage$1_*.out"
  return "$status"
}
