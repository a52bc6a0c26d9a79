#!/usr/bin/env bash
# Thirty-fourth stage of the demo recipe: li2020 on the world with round props, as stage 33 trained
# eigen2014 and xian2018 on it.
#
#   benchmarks/train_demo_stage34.sh [OUT_DIR]             (default runs/demo)
#   RENDER_ONLY=1 benchmarks/train_demo_stage34.sh         (the data only)
#
# Why: stage 33 left li2020 out (two cores). li2020 learns from how pixels move between frames, and
# a round surface moves differently from a flat face under the same camera motion (its depth varies
# across it, its outline slides over what lies behind), so it is the network round props could teach
# most; the other two gained a little on validation and nothing that changed a real-frame verdict.
# 1. stage 33's 1030 sequences (stage 31's 790 and 240 lit ones with round props), rendered where
#    missing, and its 80 validation sequences lit and with round props (cvval_*, cvvalb_*);
# 2. li2020 from the shipped pair at stage 32's recipe (lr 3e-5, batch 6, 120x160), one thread,
#    LI_MIN minutes (default 60), resumable, as li2020_stage34;
# 3. selected by stage 26's rule, fixed here before the run, on 240 validation sequences: the 80 as
#    rendered so far, the same 80 lit, and the same 80 lit with round props, each sequence weighted
#    alike: translation direction error and depth AbsRel / constant map against the shipped pair, no
#    more than 2 % worse on either and better on one, every 500 steps; ships only a winner. The real
#    frames play no part.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
lit_world_data 34
curved_stage_data
DATA+=("${CDATA[@]}")
curved_validation
echo "stage 34: ${#DATA[@]} training sequences, 240 validation sequences"
[ -z "${RENDER_ONLY:-}" ] || exit 0

train_li_from_shipped 34
CURVED_VAL=1 LIT_VAL=1 BROAD=1 DESK_VAL=1 SEL_EVERY=500 select_ship_li li2020_stage34
echo "stage 34 done at $(date)"
