#!/usr/bin/env bash
# The module rules the compiler does not hold on its own (SwiftPM lets a module import what its
# dependencies import). One line per module: what it may import of berth's own and of GRDB/NIO.
# Fails naming the files that break a rule.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A allowed=(
  [BerthCore]="CBerthSys"
  [BerthAPI]="BerthCore"
  [BerthImage]="BerthCore CArchive CBerthSys"
  [BerthStore]="BerthCore BerthAPI BerthImage Migrations GRDB GRDBSQLite"
  [BerthRuntime]="BerthCore CBerthSys"
  [BerthNetwork]="BerthCore CBerthSys"
  [BerthBuild]="BerthCore BerthImage CBerthSys"
  [BerthEngine]="BerthCore BerthAPI BerthStore BerthImage BerthRuntime BerthNetwork BerthRegistry BerthBuild CBerthSys"
  [BerthRegistry]="BerthCore BerthImage NIOCore NIOHTTP1"
  [BerthServer]="BerthCore BerthAPI BerthEngine BerthStore BerthImage BerthRuntime NIOCore NIOPosix NIOHTTP1 NIOExtras"
  [BerthCompose]="BerthCore BerthAPI"
  [BerthKube]="BerthCore BerthAPI"
  [berth]="BerthCore BerthAPI BerthStore BerthImage BerthNetwork BerthCompose BerthKube"
  [berthd]="BerthCore BerthAPI BerthEngine BerthServer BerthRuntime BerthStore BerthNetwork"
  [berth-fuzz]="BerthCore BerthAPI BerthImage BerthStore BerthEngine BerthNetwork BerthRegistry BerthBuild BerthCompose BerthKube"
)
ours="BerthKube BerthCompose BerthBuild BerthRegistry BerthNetwork BerthCore BerthAPI BerthImage BerthStore BerthRuntime BerthEngine BerthServer CBerthSys CArchive Migrations GRDB GRDBSQLite NIOCore NIOPosix NIOHTTP1 NIOExtras NIOConcurrencyHelpers"
fail=0
for mod in "${!allowed[@]}"; do
  while IFS=: read -r file imp; do
    name=${imp#import }
    [[ " $ours " == *" $name "* ]] || continue
    if [[ " ${allowed[$mod]} " != *" $name "* ]]; then
      echo "$file: $mod may not import $name"; fail=1
    fi
  done < <(grep -rHo '^import [A-Za-z0-9]*' "Sources/$mod" --include=*.swift || true)
done
sql=$(grep -rln 'sql:' Sources --include=*.swift | grep -v '^Sources/BerthStore/' || true)
if [ -n "$sql" ]; then
  echo "SQL belongs in BerthStore; found in:"; echo "$sql"; fail=1
fi
[ $fail = 0 ] && echo "layering: ok"
exit $fail
