#!/usr/bin/env bash
# The five one-line breaks of issue 13, applied one at a time: tests/test_breaks.py must fail on each.
# Usage (from the repository root, after `make install-test`): bash bench/mutation_breaks.sh
set -uo pipefail
cd "$(dirname "$0")/.."
backup="$(mktemp)"
trap 'rm -f "$backup"' EXIT
missed=0

breaks() {  # file, text, replacement, what the break does
  cp "$1" "$backup"
  .venv/bin/python -c "
import sys; path, old, new = sys.argv[1:4]; text = open(path).read(); assert old in text, old
open(path, 'w').write(text.replace(old, new, 1))" "$1" "$2" "$3" || { cp "$backup" "$1"; echo "cannot apply: $4"; missed=1; return; }
  if .venv/bin/python -m pytest -q -p no:cacheprovider -x tests/test_breaks.py >/dev/null 2>&1; then
    echo "NOT CAUGHT: $4"; missed=1
  else
    echo "caught: $4"
  fi
  cp "$backup" "$1"
}

breaks kg/enrich/cache.py "return  # never replace a complete list by a partial one" "pass" \
  "the cache replaces a complete edge list with a partial one"
breaks kg/enrich/enricher.py "or not year_compatible(paper, record)" "" "title matches skip the year check"
breaks kg/curate/suggest.py "0.0, recency(work.year, newest))" "0.0, 0.0)" "suggestions get no recency"
breaks kg/curate/suggest.py "return round(max(0.0, 1.0 - RECENCY_STEP * max(0, newest - year)), 3)" "return 1.0" \
  "every suggestion counts as the newest"
breaks kg/identifiers.py '.lower().removesuffix(".pdf")' '.lower()' "DOIs from PDF links keep .pdf"
breaks kg/page.py 'raise PageError(f"cannot inline a file containing {marker}")' 'pass' \
  "page.inline lets a file end its element early"
breaks kg/page.py $'    return text\n\n' $'    return ""\n\n' "page.inline drops the file"
exit $missed
