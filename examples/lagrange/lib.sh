# Shared by the example scripts: how to run diffcli, and a jq check with a tolerance.
#   DIFFCLI   the command to run (default: diffcli; the tests use "python -m diffcli")
#   check JSON FILTER DESCRIPTION   fails the script unless FILTER is true on JSON
# Inside FILTER, near(a; b) is |a - b| <= 1e-8 * max(1, |b|).
set -eu
DIFFCLI=${DIFFCLI:-diffcli}

check() {
    if printf '%s' "$1" | jq -e "def near(a; b): ((a - b) | if . < 0 then -. else . end) <= 1e-8 * ([1, (b | if . < 0 then -. else . end)] | max); $2" > /dev/null; then
        echo "ok: $3"
    else
        echo "FAILED: $3" >&2
        printf '%s\n' "$1" >&2
        exit 1
    fi
}
