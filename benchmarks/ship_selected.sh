# Sourced by the demo training recipes: ship_selected PY SELECTED_PT DEST_PT copies a run's selected
# model (RUN/selected/<spec>.pt) to DEST_PT in fp16, only when RUN/selected/selection.json says
# "ship" (its best checkpoint beat the incumbent on the validation sequences); prints what it did.
ship_selected() {
  local py=$1 model=$2 dest=$3 ship
  [ -f "$(dirname "$model")/selection.json" ] || { echo "no selection for $model: nothing shipped"; return 0; }
  ship=$("$py" -c "import json, sys; print(json.load(open(sys.argv[1]))['ship'])" "$(dirname "$model")/selection.json")
  if [ "$ship" != True ]; then echo "kept $(basename "$dest"): it scores better on validation than $model"; return 0; fi
  ship_copy "$py" "$model" "$dest"
}
ship_copy() {  # PY SELECTED_PT DEST_PT: the fp16 copy that ships, unconditionally
  "$1" -c "import sys; from mono_depth_ros.inference.checkpoint import write_half_precision_copy as w; w(sys.argv[1], sys.argv[2])" \
      "$2" "$3"
  echo "shipped $2 -> $3"
}
