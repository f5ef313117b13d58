#!/usr/bin/env bash
# Runs the bench module's tests and benchmarks and writes ../BENCHMARKS.md.
#
#   ./run.sh                         # COUNT=8 BENCHTIME=700ms: about 9 minutes on 2 cores
#   COUNT=12 BENCHTIME=1s ./run.sh   # on a quiet machine: about 16 minutes
#   INTERLEAVE=0 ./run.sh            # plain go test -count COUNT instead of rounds
#   BENCH='BenchmarkVerify/RS256' COUNT=1 BENCHTIME=100x ./run.sh   # a quick look,
#                                    # reported to out/BENCHMARKS.md, not ../BENCHMARKS.md
#   PROFILE=1 ./run.sh               # also CPU and allocation profiles of tokengate's
#                                    # fresh RS256 Verify (out/verify-rs256.*)
#   REPORT_ONLY=1 ./run.sh           # only render the report again from out/raw.txt
#
# Raw output, benchstat's summary and profiles go to out/ (not committed).
# The script can be run again at any time: it replaces what it wrote.
set -euo pipefail
cd "$(dirname "$0")"

COUNT=${COUNT:-8}
BENCHTIME=${BENCHTIME:-700ms}
BENCH=${BENCH:-.}
PROFILE=${PROFILE:-0}
REPORT_ONLY=${REPORT_ONLY:-0}
OUT=out
# A partial run (BENCH set) must not replace the full report.
if [ "$BENCH" = "." ]; then REPORT=${REPORT:-../BENCHMARKS.md}; else REPORT=${REPORT:-$OUT/BENCHMARKS.md}; fi

if [ "$COUNT" -lt 6 ] && [ "$BENCH" = "." ]; then
  echo "run.sh: note: COUNT=$COUNT; the report wants at least 6 runs per benchmark" >&2
fi
mkdir -p "$OUT"

if [ "$REPORT_ONLY" = 1 ]; then
  echo "== REPORT_ONLY: rendering $OUT/raw.txt again"
  # shellcheck source=/dev/null
  . "$OUT/run.meta"
else
  echo "== tests (every verifier compared must accept the fixture and refuse forged tokens)"
  go vet ./...
  go test -count=1 ./...

  echo "== benchstat"
  if command -v benchstat >/dev/null 2>&1; then
    BENCHSTAT=$(command -v benchstat)
  elif [ -x "$(go env GOPATH)/bin/benchstat" ]; then
    BENCHSTAT="$(go env GOPATH)/bin/benchstat"
  else
    go install golang.org/x/perf/cmd/benchstat@latest
    BENCHSTAT="$(go env GOPATH)/bin/benchstat"
  fi
  echo "$BENCHSTAT"

  # By default the benchmarks run as COUNT rounds of -count 1 of one test
  # binary, so that a burst of load from another user of the machine hits
  # the floor, tokengate and the peers alike instead of the six runs of one
  # of them. INTERLEAVE=0 runs plain go test -count COUNT instead.
  INTERLEAVE=${INTERLEAVE:-1}
  FLAGS=(-test.run '^$' -test.bench "$BENCH" -test.benchmem -test.benchtime "$BENCHTIME" -test.timeout 60m)
  start=$(date +%s)
  if [ "$INTERLEAVE" = 1 ]; then
    CMD="go test -c -o out/bench.test . && for i in \$(seq $COUNT); do out/bench.test -test.run '^\$' -test.bench '$BENCH' -test.benchmem -test.benchtime $BENCHTIME -test.count 1; done"
    echo "== $CMD"
    go test -c -o "$OUT/bench.test" .
    : > "$OUT/raw.txt.partial"
    for i in $(seq "$COUNT"); do
      echo "== round $i of $COUNT" >&2
      "$OUT/bench.test" "${FLAGS[@]}" -test.count 1 | tee -a "$OUT/raw.txt.partial"
    done
  else
    CMD="go test -run '^\$' -bench '$BENCH' -benchmem -count $COUNT -benchtime $BENCHTIME ."
    echo "== $CMD"
    go test -run '^$' -bench "$BENCH" -benchmem -count "$COUNT" -benchtime "$BENCHTIME" -timeout 60m . \
      | tee "$OUT/raw.txt.partial"
  fi
  end=$(date +%s)
  mv "$OUT/raw.txt.partial" "$OUT/raw.txt"
  wall=$((end - start))
  WALL="$((wall / 60))m$((wall % 60))s"
  DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
  declare -p CMD WALL DATE > "$OUT/run.meta"

  "$BENCHSTAT" "$OUT/raw.txt" > "$OUT/benchstat.txt"
fi

CPU=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
go run ./cmd/report \
  -raw "$OUT/raw.txt" \
  -benchstat "$OUT/benchstat.txt" \
  -out "$REPORT" \
  -go "$(go version)" \
  -cpu "${CPU:-unknown}" \
  -nproc "$(nproc)" \
  -date "$DATE" \
  -cmd "cd bench && $CMD" \
  -wall "$WALL"
echo "== wrote $REPORT (benchmarks took $WALL)"

if [ "$PROFILE" = 1 ]; then
  echo "== CPU and allocation profiles of BenchmarkVerify/RS256/tokengate (fresh tokens)"
  go test -c -o "$OUT/bench.test" .
  "$OUT/bench.test" -test.run '^$' -test.bench '^BenchmarkVerify$/^RS256$/^tokengate$' -test.benchtime 3s \
    -test.benchmem -test.cpuprofile "$OUT/verify-rs256.prof" -test.memprofile "$OUT/verify-rs256.mem"
  go tool pprof -top -cum -nodecount 40 "$OUT/bench.test" "$OUT/verify-rs256.prof" | tee "$OUT/verify-rs256.top.txt"
  go tool pprof -sample_index=alloc_objects -top -nodecount 20 "$OUT/bench.test" "$OUT/verify-rs256.mem" | tee "$OUT/verify-rs256.alloc.txt"
fi
