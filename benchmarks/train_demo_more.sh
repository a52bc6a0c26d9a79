#!/usr/bin/env bash
# Second stage of the demo recipe: many more, shorter synthetic sequences, and eigen2014 / xian2018
# continued on all of them. Run after benchmarks/train_demo_models.sh (same OUT_DIR):
#
#   EIGEN_CONTINUE=1 XIAN_CONTINUE=1 EIGEN_MIN=65 XIAN_MIN=65 benchmarks/train_demo_models.sh
#   benchmarks/train_demo_more.sh [OUT_DIR]                                  (default runs/demo)
#
# 1. renders 174 more training sequences of 60 frames (rooms: seeds 13-48 and 1001-1080; streets:
#    seeds 63-80 and 2001-2040; every 4th through a distorting lens), with the realism flags of the
#    first stage: 24 long sequences saw the same few rooms again and again (about 70 passes in
#    30000 steps), 198 sequences show many more layouts, cameras and textures. About 3 s a sequence.
# 2. continues eigen2014 from the first stage's selected checkpoint (RUN/selected; 20000 steps,
#    coarse stage to 12000, 45-minute cap) and xian2018 from the bundled weights at a fifth of its
#    learning rate (2e-5; at the full 1e-4 the first stage's continuation lost its validation WHDR
#    within 1000 steps; 8000 steps, 35-minute cap), one thread each, side by side;
# 3. selects each on the 8 validation sequences (seeds 201-208, never trained on) against the weights
#    shipped at that moment (--incumbent) and ships a run's best only where it scores better;
# 4. (STAGE3=1, the default) renders 200 more (rooms 3001-3130, streets 4001-4070), continues
#    eigen2014 from step 2's pick on all 398 sequences (35-minute cap) and selects it the same way.
# Seeds of the test (101/102) and validation sets are in no training set. Resumable like the first stage.
set -euo pipefail

# shellcheck source=benchmarks/recipe_lib.sh
. "$(dirname "$0")/recipe_lib.sh"
recipe_setup "$@"
[ -d "$OUT/data" ] || { echo "error: $OUT/data missing: run benchmarks/train_demo_models.sh first" >&2; exit 2; }

render_seeds indoor $(seq 13 48) $(seq 1001 1080)
render_seeds street $(seq 63 80) $(seq 2001 2040)
DATA=("$OUT"/data/train_* "$OUT"/data/more_*)
echo "training sequences: ${#DATA[@]}"

train_light eigen2014 eigen2014_more "$OUT/runs/eigen2014/selected" 45 eigen_more.log \
    --set trainer.max_steps=20000 --set schedule.coarse_steps=12000 &
train_light xian2018 xian2018_more bundled 35 xian_more.log "${XIAN_CONTINUE[@]}" &
wait

select_ship eigen2014 eigen2014_more
select_ship xian2018 xian2018_more

[ "${STAGE3:-1}" = 1 ] || exit 0
render_seeds indoor $(seq 3001 3130)
render_seeds street $(seq 4001 4070)
DATA=("$OUT"/data/train_* "$OUT"/data/more_*)
echo "training sequences: ${#DATA[@]}"
train_light eigen2014 eigen2014_more2 "$OUT/runs/eigen2014_more/selected" 35 eigen_more2.log \
    --set trainer.max_steps=20000 --set schedule.coarse_steps=12000
select_ship eigen2014 eigen2014_more2
