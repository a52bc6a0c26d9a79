# Sourced by the demo training recipes after OUT and PY are set: rendering of the short synthetic
# sequences, resuming, and shipping (ship_selected.sh).
# shellcheck shell=bash

render() {  # name scene seed trajectory moving_objects [extra flags]: one 60-frame sequence, extracted
  local bag="$OUT/bags/$1" data="$OUT/data/$1"
  [ -f "$data/manifest.csv" ] && return 0
  rm -rf "$bag"
  "$PY" -m training synth --out "$bag" --frames 60 --size 160x120 --scene "$2" --seed "$3" --trajectory "$4" \
      --moving-objects "$5" --stereo --realistic "${@:6}" > "$OUT/bags/$1.synth.log" 2>&1
  "$PY" -m training extract "$bag" --out "$data" > "$OUT/bags/$1.extract.log" 2>&1
  rm -rf "$bag"
}
render_seeds() {  # scene seed... : camera path, moving objects and lens follow the seed as in stage 1
  local scene=$1 s lens paths; shift
  if [ "$scene" = indoor ]; then paths=(handheld forward turning); else paths=(forward turning handheld); fi
  for s in "$@"; do
    lens=(); [ $((s % 4)) = 0 ] && lens=(--distortion-k1 "$([ "$scene" = indoor ] && echo -0.28 || echo -0.35)")
    render "more_${scene}_$s" "$scene" "$s" "${paths[$((s % 3))]}" \
        "$([ "$scene" = indoor ] && echo $((s % 3)) || echo $(((s + 1) % 3)))" "${lens[@]}"
  done
}
resume() { [ -f "$1/checkpoints/last.ckpt" ] && echo "--resume $1/checkpoints/last.ckpt" || true; }
# shellcheck source=benchmarks/ship_selected.sh
. "$(dirname "${BASH_SOURCE[0]}")/ship_selected.sh"
