#!/usr/bin/env bash
# Thirty-seventh stage of the demo recipe: li2020 trained with frames metered like a camera's auto
# exposure, as stage 35 trained xian2018 and stage 36 eigen2014.
#
#   benchmarks/train_demo_stage37.sh [OUT_DIR]             (default runs/demo)
#   RENDER_ONLY=1 benchmarks/train_demo_stage37.sh         (the data only)
#
# Why: the renders are darker and flatter than real frames (mean grey 70 against 122 of 255,
# benchmarks/bn_domain_gap.py). li2020 is the one network not yet trained with metered frames; a
# self-supervised network sees brightness only through its photometric loss, so one gain per
# sample (the same for both frames of a pair, training.data.augment.camera_augment) leaves the loss
# consistent. Written before the run it decides:
# 1. stage 33's 1030 training sequences and stage 36's 320 validation sequences (the 80 as rendered,
#    lit, lit with round props, and metered: mtval_*, mtvalb_*), rendered where missing;
# 2. li2020 from the shipped pair (stage 34's) at stage 34's recipe (lr 3e-5, batch 6, 120x160), one
#    thread, LI_MIN minutes (default 60), resumable, with data.exposure_metering=0.5 (stages 35-36's
#    share), as li2020_stage37;
# 3. selected by stage 26's rule on the 320 (stage 36's rule for later stages), each sequence
#    weighted alike: translation direction error and depth AbsRel / constant map against the shipped
#    pair, no more than 2 % worse on either and better on one, every 500 steps; ships only a winner.
#    The real frames play no part.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
lit_world_data 37
curved_stage_data
DATA+=("${CDATA[@]}")
metered_validation
echo "stage 37: ${#DATA[@]} training sequences, 320 validation sequences"
[ -z "${RENDER_ONLY:-}" ] || exit 0

train_li_from_shipped 37 --set data.exposure_metering=0.5
METERED_VAL=1 CURVED_VAL=1 LIT_VAL=1 BROAD=1 DESK_VAL=1 SEL_EVERY=500 select_ship_li li2020_stage37
echo "stage 37 done at $(date)"
