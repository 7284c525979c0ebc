#!/usr/bin/env bash
# Mutation score of kg/identifiers.py under the tests that cover it fast (settings: [tool.mutmut] in
# pyproject.toml). Prints mutmut's counts: killed, survived, timeouts; the score is killed / all.
# Usage, from the repository root after `make install-test`: bash bench/mutation.sh
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -c "import mutmut" 2>/dev/null || .venv/bin/pip install -q 'mutmut>=3.3'
rm -rf mutants
mkdir -p bench/out
.venv/bin/mutmut run --max-children 2 > bench/out/mutation-run.log 2>&1 || { tail -20 bench/out/mutation-run.log; exit 1; }
.venv/bin/mutmut results --all true > bench/out/mutation-results.txt
.venv/bin/python - <<'PY'
import collections, pathlib
lines = pathlib.Path("bench/out/mutation-results.txt").read_text().splitlines()
status = collections.Counter(line.rsplit(": ", 1)[-1].strip() for line in lines if ": " in line)
total = sum(status.values())
print(dict(status), f"score {status['killed']}/{total} = {status['killed'] / total:.0%}" if total else "no mutants")
PY
