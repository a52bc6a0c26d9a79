#!/usr/bin/env bash
# Thirty-third stage of the demo recipe: eigen2014 and xian2018 on a world whose props are not all
# boxes, side by side.
#
#   benchmarks/train_demo_stage33.sh [OUT_DIR]                        (default runs/demo)
#   ONLY=eigen|xian benchmarks/train_demo_stage33.sh                  (one network)
#   RENDER_ONLY=1 benchmarks/train_demo_stage33.sh                    (the data only)
#
# Why: every render so far was built of boxes, so depth only ever changed across flat faces and at
# straight edges. Held-out surfaces (photographs no render uses) cost the networks 2-5 %, and a real
# camera's processing (JPEG, sharpening, local tone mapping, noise) under 3 % (README, "What the
# renders still lack"): the gap to real frames lies elsewhere. Real rooms and streets hold posts,
# trunks, people, tree crowns and round tables; this stage asks whether round geometry is part of it
# (`training synth --shapes curved`, mono_depth_ros/synth/shapes.py).
# 1. stage 31's 790 sequences and 240 new lit ones with round props (rooms 13001-13100, streets
#    13501-13560, desks 13801-13880; SHAPES=curved LIGHTING=shadows): 1030 sequences;
# 2. the 80 validation sequences rendered again, lit and with round props (same seeds, scenes and
#    paths: cvval_*, cvvalb_*);
# 3. trains, one thread each, from the shipped weights with stage 31's recipes: xian2018 (lr 2e-5,
#    XIAN_MIN minutes, default 50) and eigen2014 (coarse at Adam 3e-5 for COARSE_MIN, default 28, then
#    the fine stage for FINE_MIN, default 22: stage 31's lengths); resumable (li2020 is not trained: two cores);
# 4. selects each by stage 31's rules, fixed here before the run, on 240 validation sequences: the 80
#    as rendered so far, the same 80 lit, and the same 80 lit with round props, each sequence weighted
#    alike (a network must not get worse in the old worlds to win in the new one): xian2018 ships only
#    when no worse in WHDR (TOLERANCE=0); eigen2014 by `--criterion silog --also abs_rel --tolerance
#    0.05` against the shipped network. The real frames play no part.
# shellcheck source=benchmarks/recipe_lib.sh
set -euo pipefail

. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
lit_world_data 33
curved_stage_data
DATA+=("${CDATA[@]}")
curved_validation
echo "stage 33: ${#DATA[@]} training sequences, 240 validation sequences"
[ -z "${RENDER_ONLY:-}" ] || exit 0

xian() {
  CURVED_VAL=1 LIT_VAL=1 BROAD=1 DESK_VAL=1 TOLERANCE=0 continue_xian_lite0 xian2018_stage33 "${XIAN_MIN:-50}" xian_stage33.log 1 0.00002
}
eigen() {
  CURVED_VAL=1 LIT_VAL=1 COARSE_MIN=${COARSE_MIN:-28} FINE_MIN=${FINE_MIN:-22} continue_eigen_lite0 stage33 0.00003
}
run_xian_and_eigen 33
