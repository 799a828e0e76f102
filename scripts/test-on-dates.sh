#!/usr/bin/env bash
# npm run test:dates [-- test files]: the tests that start a runtime or a scheduler, run with the
# system clock (vitest and the npm start it spawns; not DynamoDB Local's JVM) moved by libfaketime to
# awkward days, each a minute or two before a client's 01:00 daily schedule would fire — so a test
# whose runtime fires schedules for "today", or takes its dates from it, fails here.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v faketime >/dev/null || { echo "needs libfaketime: apt-get install -y faketime" >&2; exit 2; }

STARTS=(
  '2026-11-30 00:58:30 UTC' # a month's last day, before a UTC client's 01:00 daily
  '2028-02-29 00:58:30 UTC' # 29 February
  '2027-03-14 05:58:30 UTC' # spring-forward day in New York: the demo client's 01:00 EST daily, then 2 AM skipped
)
if [ "$#" -gt 0 ]; then
  FILES=("$@")
else
  FILES=(test/chaos test/orchestration test/local test/scheduling/local-scheduler.test.ts test/jobs test/fuzz test/browser)
fi

# DynamoDB Local's JVM did not start under libfaketime here; it keeps the clock it is given no
# role in (the runtime writes every timestamp), so only Node's clock is moved.
export FAKETIME_SKIP_CMDS=java
failed=0
for start in "${STARTS[@]}"; do
  echo "=== system clock from ${start}: $(faketime "${start}" node -e 'console.log(new Date().toISOString())')"
  if ! faketime "${start}" npx vitest run "${FILES[@]}"; then failed=1; fi
done
exit "${failed}"
