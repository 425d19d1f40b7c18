#!/bin/sh
# Run every example; stop at the first failure.
set -eu
for script in "$(dirname "$0")"/[0-9]*.sh; do
    echo "== $(basename "$script")"
    sh "$script"
done
