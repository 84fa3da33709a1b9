#!/usr/bin/env bash
# One round as a finance office lives it, on bundled data, for each bundled spec:
#   generate from the roster → departments fill the templates (some wrong, one silent)
#   → collect with the manifest → departments correct the feedback copies → collect again.
set -euo pipefail
OUT=${1:-demo-out}
PY=${PYTHON:-python3}
xltargets() { "$PY" -m xltargets "$@"; }
rm -rf "$OUT"
mkdir -p "$OUT"

# spec id : roster : budget year (the Shanghai forms are of 2026)
ROUNDS="hebei-county:examples/roster-hebei.csv:2025 hunan:examples/roster-hunan.csv:2025
shanghai-district:examples/roster-shanghai.csv:2026"

for round in $ROUNDS; do
  IFS=: read -r spec roster YEAR <<<"$round"
  sent="$OUT/$spec/1-下发模板"
  inbox="$OUT/$spec/2-收件箱"
  echo
  echo "=== $spec（$YEAR 年）"
  echo "--- 1. 按名单生成模板：每个单位一个工作簿，另有下发清单 manifest.json"
  xltargets generate "$spec" --year "$YEAR" --roster "$roster" --out "$sent"
  echo "--- 2. 各单位填报并报送"
  "$PY" examples/departments.py fill "$sent/manifest.json" "$inbox"
  echo "--- 3. 第一次收集（对照下发清单）"
  xltargets collect "$inbox" --manifest "$sent/manifest.json" --out "$OUT/$spec/3-第一次收集" --jobs 2
  echo "--- 4. 退回修改：单位在修改意见副本上改正，重新报送"
  "$PY" examples/departments.py correct "$sent/manifest.json" "$OUT/$spec/3-第一次收集/feedback" \
    "$inbox/第二轮"
  echo "--- 5. 第二次收集（同一收件箱，已改正的副本取代原报送）"
  xltargets collect "$inbox" --manifest "$sent/manifest.json" --out "$OUT/$spec/4-第二次收集" --jobs 2
done

echo
echo "完成。请查看："
for round in $ROUNDS; do
  spec=${round%%:*}
  echo "  $OUT/$spec/3-第一次收集/report.html   第一次收集的报告（退回、未报送）；feedback/ 为修改意见副本"
  echo "  $OUT/$spec/4-第二次收集/report.html   第二次收集的报告；汇总表.xlsx 为汇总表"
done
