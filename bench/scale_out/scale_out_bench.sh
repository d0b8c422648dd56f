#!/usr/bin/env bash
# The costs in docs/scale-out.md and BENCHMARKS.md ("Sweeps beyond one
# machine"): seeds per core-minute of a shard, the size of a shard's output,
# and the time `faultline merge` takes over 1,000 shards.
#
#   bench/scale_out/scale_out_bench.sh build/release/faultline [WORK_DIR]
#
# 1. One shard of the default sweep (`--seeds 1..200 --shard 0/1 --jobs 1
#    --no-trace`, the Raft KV under every fault kind) beside the same sweep
#    unsharded: CPU seconds of each (user + sys), seeds per core-minute.
# 2. The size of a shard's store: that shard (all valid: sweep.json and its
#    page), and one of `--bug early-ack` over the same seeds (its failing runs
#    stored with traces, at most 20).
# 3. 1,000 shards of `--system echo --seeds 1..10000` made with GNU parallel
#    (10 seeds each), then `faultline merge` over all of them, timed three times.
set -euo pipefail

faultline=$(realpath "$1")
work=${2:-$(mktemp -d)}
mkdir -p "$work"
cd "$work"

cpu_seconds() {
    # CPU seconds (user + sys) of a command, from GNU time's output file.
    /usr/bin/time -f '%U %S' -o cpu.txt "$@" >/dev/null 2>&1 || true
    awk '{printf "%.2f", $1 + $2}' cpu.txt
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1 /proc/loadavg)"

rm -rf whole shard bugged
whole=$(cpu_seconds "$faultline" test --seeds 1..200 --jobs 1 --no-trace --keep-going --store whole)
shard=$(cpu_seconds "$faultline" test --seeds 1..200 --jobs 1 --no-trace --shard 0/1 --store shard)
echo "faultline: $(grep -h -o '"faultline_version": "[^"]*"' shard/sweeps/*/sweep.json | cut -d'"' -f4)"
echo "1. 200 seeds, 1 job: unsharded ${whole} s CPU ($(awk -v s="$whole" 'BEGIN {printf "%.0f", 200 * 60 / s}') seeds per core-minute), as a shard ${shard} s CPU ($(awk -v s="$shard" 'BEGIN {printf "%.0f", 200 * 60 / s}') seeds per core-minute)"

"$faultline" test --seeds 1..200 --jobs 1 --no-trace --shard 0/1 --bug early-ack --store bugged >/dev/null || true
echo "2. a valid shard of 200 seeds: $(du -sb shard | cut -f1) bytes ($(stat -c %s shard/sweeps/*/sweep.json) bytes of sweep.json); with --bug early-ack: $(du -sb bugged | cut -f1) bytes, $(grep -c '"repro"' bugged/sweeps/*/sweep.json) failing seeds, $(find bugged -name results.json | wc -l) stored with traces"

rm -rf many merged-*
start=$(date +%s.%N)
seq 0 999 | parallel --jobs "$(nproc)" "$faultline" test --system echo --seeds 1..10000 --shard {}/1000 --no-trace \
    --store many/shard-{} '>' /dev/null
made=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
echo "3. 1,000 shards of --system echo --seeds 1..10000 made in ${made} s wall with parallel --jobs $(nproc); $(du -sb many | cut -f1) bytes in all"
for run in 1 2 3; do
    start=$(date +%s.%N)
    status=0
    "$faultline" merge many/shard-* --store "merged-$run" >"merge-$run.txt" || status=$?
    took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}')
    echo "   merge $run: ${took} s wall, exit ${status}: $(grep '^merged' "merge-$run.txt")"
done
