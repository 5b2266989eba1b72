#!/usr/bin/env bash
# Runs the test suite on a loaded machine: starts busy loops (`node -e 'for(;;){}'`, two by
# default, one per core of the 2-core machine the suite must pass on) beside it, runs the suite N
# times in a row, and prints a summary with the result and duration of each run. The busy loops
# are ended by their PIDs when the script exits, however it exits (success, a failed run, Ctrl-C,
# SIGTERM): the trap below kills exactly the processes this script started, nothing else.
#
# Usage: scripts/test-under-load.sh [RUNS]            (RUNS: 1 to 100, default 1)
#
# Environment:
#   NETLAB_LOAD_COMMAND   the command of each run, given to `bash -c` (default: `pnpm test`, the
#                         README's test command); each run gets NETLAB_LOAD_RUN=<1..RUNS>
#   NETLAB_LOAD_BUSY      busy loops beside it (0 to 16, default 2)
#   NETLAB_LOAD_DIR       where the summary and each run's log go (default .tmp/test-under-load)
#
# Output: one line per run as it ends, then the summary (also in $NETLAB_LOAD_DIR/summary.txt,
# each run's output in run-<n>.log). Exit status: 0 if every run passed, 1 if any failed,
# 2 for bad arguments.
set -u

usage() {
  echo "usage: scripts/test-under-load.sh [RUNS]   (RUNS: 1 to 100, default 1)" >&2
  exit 2
}

runs="${1:-1}"
[ "$#" -le 1 ] || usage
[[ "$runs" =~ ^[0-9]+$ ]] && [ "$runs" -ge 1 ] && [ "$runs" -le 100 ] || usage
busy="${NETLAB_LOAD_BUSY:-2}"
if ! [[ "$busy" =~ ^[0-9]+$ ]] || [ "$busy" -gt 16 ]; then
  echo "error: NETLAB_LOAD_BUSY must be 0 to 16, got '$busy'" >&2
  exit 2
fi
command="${NETLAB_LOAD_COMMAND:-pnpm test}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${NETLAB_LOAD_DIR:-$root/.tmp/test-under-load}"
mkdir -p "$dir" || exit 2
summary="$dir/summary.txt"

busy_pids=()
run_pid=""
stop() {
  # The current run first (its whole process group), then the busy loops, each by its PID.
  if [ -n "$run_pid" ]; then
    kill -TERM -- "-$run_pid" 2>/dev/null || kill -TERM "$run_pid" 2>/dev/null
    wait "$run_pid" 2>/dev/null
    run_pid=""
  fi
  for pid in "${busy_pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  busy_pids=()
}
trap stop EXIT
trap 'echo "interrupted: stopping the run and the busy loops" >&2; exit 130' INT
trap 'echo "terminated: stopping the run and the busy loops" >&2; exit 143' TERM

for _ in $(seq 1 "$busy"); do
  node -e 'for(;;){}' &
  busy_pids+=("$!")
done

{
  echo "test-under-load: $runs run(s) of: $command"
  echo "busy loops: $busy (PIDs ${busy_pids[*]:-none}); cores: $(nproc 2>/dev/null || echo '?'); started $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} | tee "$summary"

failed=0
results=()
for n in $(seq 1 "$runs"); do
  log="$dir/run-$n.log"
  echo "run $n: started $(date -u +%H:%M:%S), log $log"
  started=$(date +%s.%N)
  # A process group of its own (set -m), so an interrupted run is stopped as a whole.
  set -m
  NETLAB_LOAD_RUN="$n" bash -c "$command" >"$log" 2>&1 &
  run_pid=$!
  set +m
  wait "$run_pid"
  status=$?
  run_pid=""
  seconds=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if [ "$status" -eq 0 ]; then verdict=pass; else verdict="FAIL (exit $status)"; failed=$((failed + 1)); fi
  line="run $n: $verdict in ${seconds}s"
  echo "$line"
  results+=("$line")
done

{
  echo "summary: $((runs - failed)) of $runs passed under $busy busy loop(s)"
  for line in "${results[@]}"; do echo "  $line"; done
} | tee -a "$summary"
[ "$failed" -eq 0 ]
