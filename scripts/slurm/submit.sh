#!/usr/bin/env bash
# Submits a faultline sweep to Slurm: an array of N shards and, after it, the
# merge. Prints the two job ids (array, then merge) on one line.
#
#   scripts/slurm/submit.sh N OUT A..B [faultline test options...]
#   FAULTLINE=/path/to/faultline scripts/slurm/submit.sh 64 /shared/sweep 1..1000000 --bug early-ack
#
# Extra sbatch options (a partition, a time limit) go in SBATCH_* variables,
# which sbatch reads itself: SBATCH_PARTITION=long SBATCH_TIMELIMIT=4:00:00.
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 N OUT A..B [faultline test options...]" >&2
    exit 3
fi
shards=$1
out=$2
seeds=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
array=$(sbatch --parsable --array="0-$((shards - 1))" --output="$out/sweep-%A_%a.out" \
    "$here/sweep.sbatch" "$out" "$seeds" "$@")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterany:$array" --output="$out/merge-%j.out" \
    "$here/merge.sbatch" "$out" "$shards")
echo "$array ${merge%%;*}"
