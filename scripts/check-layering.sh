#!/usr/bin/env bash
# The module rules the compiler does not hold on its own (SwiftPM lets a module import what its
# dependencies import): only BerthStore (and its tests) may import GRDB, so every SQL statement
# lives in BerthStore. Fails naming the files that break a rule.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(grep -rln '^import GRDB' Sources | grep -v '^Sources/BerthStore/' || true)
if [ -n "$bad" ]; then
  echo "only BerthStore may import GRDB; found in:"; echo "$bad"; exit 1
fi
sql=$(grep -rln 'sql:' Sources --include=*.swift | grep -v '^Sources/BerthStore/' || true)
if [ -n "$sql" ]; then
  echo "SQL belongs in BerthStore; found in:"; echo "$sql"; exit 1
fi
echo "layering: ok"
