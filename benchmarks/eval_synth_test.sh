#!/usr/bin/env bash
# The held-out synthetic test sequences (seeds no training or selection uses), rendered where missing,
# and each bundled depth network of every WEIGHTS_DIR evaluated on them with `training evaluate`
# (defaults: flip_average auto, guided_filter as GUIDED (default auto, the node's); eigen2014 metric
# and unscaled, xian2018 and li2020 median-scaled), printed as one table beside the constant map and
# the vertical ramp.
#
#   benchmarks/eval_synth_test.sh WEIGHTS_DIR [WEIGHTS_DIR ...]        (OUT=runs/demo, GUIDED=auto|always|never)
#
# Sequences: test_indoor (seed 101, 100 frames) and test_street (102) as train_demo_models.sh renders
# them; the desk world's test_desk, _b, _c, _d (seeds 103-109, 60 frames; re-rendered in desk world v2
# from stage 26 on, so earlier figures on them are not comparable).
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 WEIGHTS_DIR [WEIGHTS_DIR ...]" >&2; exit 2; }
GUIDED=${GUIDED:-auto}
case "$GUIDED" in auto|always|never) ;; *) echo "error: GUIDED=$GUIDED: expected auto, always or never" >&2; exit 2;; esac
dirs=()
for d in "$@"; do
  [ -f "$d/eigen2014.pt" ] || { echo "error: $d/eigen2014.pt not found" >&2; exit 2; }
  dirs+=("$(cd "$d" && pwd)")
done
recipe_setup "${OUT:-runs/demo}"
FRAMES=100 render test_indoor indoor 101 handheld 1
FRAMES=100 render test_street street 102 turning 2
render test_desk desk 103 handheld 1
render test_desk_b desk 105 forward 0
render test_desk_c desk 107 turning 2 --distortion-k1 -0.28
render test_desk_d desk 109 handheld 0
tests=(test_indoor test_street test_desk test_desk_b test_desk_c test_desk_d)
for t in "${tests[@]}"; do
  [ -f "$OUT/data/$t/manifest.csv" ] || { echo "error: render failed: $OUT/data/$t" >&2; exit 1; }
done
rows=()
for d in "${dirs[@]}"; do
  tag=$(cat "$d"/eigen2014.pt "$d"/xian2018.pt "$d"/li2020_*.pt | md5sum | cut -c1-12)  # a cache per weights
  # (and per filter: its mode and, for auto, its settings table; results from before it are "never")
  [ "$GUIDED" = never ] || tag="$tag-guided-$GUIDED"
  [ "$GUIDED" != auto ] || tag="$tag-$("$PY" -c "from mono_depth_ros.inference.processing import AUTO_GUIDED_FILTER as t
print(sorted(t.items()))" | md5sum | cut -c1-8)"
  for t in "${tests[@]}"; do
    for net in eigen2014 xian2018 li2020_depth; do
      out="$OUT/eval_test/$tag/$net/$t"
      scale=(); [ "$net" != eigen2014 ] && scale=(--median-scaling)
      [ -f "$out/metrics.json" ] || "$PY" -m training evaluate --checkpoint "$d/$net.pt" --data "$OUT/data/$t" \
          --split all --max-depth 60 "${scale[@]}" --guided-filter "$GUIDED" --out "$out" > /dev/null
      rows+=("$d|$t|$net|$out/metrics.json")
    done
  done
done
"$PY" - "$GUIDED" "${rows[@]}" <<'PY'
import json, sys
print(f"guided_filter: {sys.argv[1]}")
print("| weights | sequence | network | AbsRel | WHDR | constant AbsRel | ramp AbsRel / WHDR |")
print("|---|---|---|---|---|---|---|")
for row in sys.argv[2:]:
    weights, seq, net, path = row.split("|")
    m = json.load(open(path))["depth"]
    print(f"| {weights} | {seq} | {net} | {m['abs_rel']:.3f} | {m['whdr']:.3f} | {m['constant_depth_abs_rel']:.3f} "
          f"| {m['ramp_abs_rel']:.3f} / {m['ramp_whdr']:.3f} |")
PY
