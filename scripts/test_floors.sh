#!/usr/bin/env bash
# Run the test suite against the lowest versions pyproject.toml allows (its floors), in a new venv.
# The floors are only true if this passes; run it after raising or lowering any of them.
#   scripts/test_floors.sh [pytest args...]     (needs uv: pip install uv)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${FLOORS_VENV:-/tmp/roistudio-floors}"
uv venv -q -p 3.11 "$venv"
VIRTUAL_ENV="$venv" uv pip install -q --resolution lowest-direct -e ".[test]"
echo "floors: $(VIRTUAL_ENV="$venv" uv pip list 2>/dev/null | grep -iE '^(duckdb|pandas|numpy|pyarrow|pyside6-essentials|openpyxl|reportlab|matplotlib|python-calamine) ' | tr -s ' ' | tr '\n' ';')"
QT_QPA_PLATFORM=offscreen "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
