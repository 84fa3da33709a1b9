#!/usr/bin/env bash
# The whole loop on bundled example data: generate → (departments fill) → read/check → collect.
set -euo pipefail
OUT=${1:-demo-out}
PY=${PYTHON:-python3}
xltargets() { "$PY" -m xltargets "$@"; }
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== 1. Specs"
xltargets specs list

echo "== 2. Generate one locked workbook per department from the rosters"
xltargets generate hebei-county --year 2025 --roster examples/roster-hebei.csv --out "$OUT/templates/hebei"
xltargets generate hunan --year 2024 --roster examples/roster-hunan.csv --out "$OUT/templates/hunan"
xltargets generate hebei-county --year 2025 --projects 2 --out "$OUT/templates/blank"

echo "== 3. The departments fill them in (here: the four published seed forms, typed in)"
$PY examples/make_filled.py "$OUT/returns"
ls -1 "$OUT/returns"

echo "== 4. Read and check each return (exit 1 = the return has errors to send back)"
mkdir -p "$OUT/json"
for f in "$OUT"/returns/*.xlsx; do
  name=$(basename "$f" .xlsx)
  xltargets read "$f" -o "$OUT/json/$name.json" || true
done
xltargets check "$OUT/returns/$(ls "$OUT/returns" | grep seed001 | head -1)" || true

if xltargets collect --help >/dev/null 2>&1; then
  echo "== 5. Collect the whole inbox"
  xltargets collect "$OUT/returns" --out "$OUT/collected" || true
  ls -1 "$OUT/collected"
fi
echo "Done: see $OUT/"
