#!/usr/bin/env bash
# The README's results table: `contains` accuracy of the bundled (or given) models on held-out synthetic documents
# with 1, 2 and 4 records, answered by the Spark job itself (bin/readtwice run --task fda), not by PyTorch.
#   notebooks/training/evaluate.sh [JRT_MODEL_DIR [BASED_MODEL_DIR]]
# JRT default: the model bundled for the demo; the Based rows need a Based model folder (train.py --arch based).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${READTWICE_PYTHON:-/usr/bin/python3}"
work="$(mktemp -d -t readtwice-eval-XXXXXX)"
demo="$repo/spark-job/src/main/resources/io/readtwice/demo"
jrt="${1:-$demo/jrt-recall}"
based="${2:-}"
rows="${ROWS:-300}"

for records in 1 2 4; do
  "$python" "$here/synth_recall.py" --split eval --records "$records" --rows "$rows" --seed 11 > "$work/eval-$records.jsonl"
done

accuracy() {  # model strategy records -> contains accuracy in percent, from the run's summary
  local out="$work/out-$(basename "$1")-$2-$3"
  "$repo/bin/readtwice" run --quiet --model "$1" --task fda --strategy "$2" --max-new-tokens 8 \
    --input "$work/eval-$3.jsonl" --output "$out" --conf spark.ui.enabled=false >/dev/null 2>"$out.err" \
    || { cat "$out.err" >&2; exit 1; }
  "$python" -c 'import json,sys; a=json.load(open(sys.argv[1]))["accuracy"][0]; print("%.1f" % (100 * a["contains"]))' \
    "$out/_readtwice_summary.json"
}

echo "| model (prompt) | 1 record | 2 records | 4 records |"
echo "|---|---|---|---|"
specs=("JRT-RNN (default)|$jrt|default")
[[ -n "$based" ]] && specs+=("Based (default)|$based|default" "Based (twice, JRT-Prompt)|$based|twice")
for spec in "${specs[@]}"; do
  IFS='|' read -r name dir strategy <<<"$spec"
  printf '| %s |' "$name"
  for records in 1 2 4; do printf ' %s%% |' "$(accuracy "$dir" "$strategy" "$records")"; done
  echo
done
echo "($rows held-out questions per cell; synth_recall.py --split eval --seed 11; $(date -u +%F))"
rm -rf "$work"
