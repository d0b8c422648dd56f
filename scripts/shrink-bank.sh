#!/usr/bin/env bash
# Shrinks the first failing seed of each known-bug variant and prints a
# Markdown table for BENCHMARKS.md ("Shrinking"): per bug the seed, the run's
# size before and after, the candidate runs it took and the wall time, then
# how many met the shrinker's targets (at most 5 faults and 20 operations).
#
#   scripts/shrink-bank.sh [-f LIST] [BUG...]
#
# LIST (default scripts/shrink-bank.txt) has one bug a line, then the
# `faultline test` options that make a sweep catch it; blank lines and lines
# starting with # are skipped. BUGs pick lines of it (default: all).
# Environment: FAULTLINE (the binary, default build/release/faultline), SEEDS
# (the sweep, default 1..300), FAILING (how many failing seeds of each bug to
# shrink, default 1), RUNS (the shrink budget, default: faultline's own).
set -euo pipefail

faultline=${FAULTLINE:-build/release/faultline}
seeds=${SEEDS:-1..300}
failing=${FAILING:-1}
runs=${RUNS:+--runs $RUNS}
list="$(dirname "$0")/shrink-bank.txt"
if [[ ${1:-} == "-f" ]]; then
    list=$2
    shift 2
fi
wanted=("$@")

if [[ ! -x $faultline ]]; then
    echo "shrink-bank: $faultline is not built (make build, or set FAULTLINE)" >&2
    exit 3
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/shrink-bank-XXXXXX")
trap 'rm -rf "$scratch"' EXIT

echo "| bug, seed | options | before | after | runs (wall) |"
echo "|---|---|---|---|---|"
shrunk_count=0
met=0
while read -r bug options; do
    [[ -z $bug || $bug == \#* ]] && continue
    if ((${#wanted[@]})) && [[ " ${wanted[*]} " != *" $bug "* ]]; then continue; fi
    # A sweep stops at its first failing seed unless asked to go on.
    keep_going=""
    ((failing > 1)) && keep_going="--keep-going --stored-failures-max $failing"
    # shellcheck disable=SC2086 # the options are words on purpose
    sweep=$("$faultline" test --bug "$bug" $options --seeds "$seeds" --jobs 1 --no-trace $keep_going \
        --store "$scratch/$bug" 2>&1 || true)
    mapfile -t stored < <(grep -oP '^    stored: \K.*' <<<"$sweep" | head -n "$failing")
    if ((${#stored[@]} == 0)); then
        echo "| \`$bug\` | \`${options:-(defaults)}\` | not caught in seeds $seeds | | |"
        continue
    fi
    for run in "${stored[@]}"; do
        seed=${run##*-seed}
        seed=${seed%%-*}
        # shellcheck disable=SC2086
        output=$("$faultline" shrink "$run" --store "$scratch/shrunk" $runs 2>&1 || true)
        line=$(grep '^shrunk ' <<<"$output" || true)
        pattern='([0-9]+) faults and ([0-9]+) operations to ([0-9]+) faults and ([0-9]+) operations in ([0-9]+) runs \(([0-9.]+s)\)(.*)'
        if [[ ! $line =~ $pattern ]]; then
            echo "| \`$bug\` $seed | \`${options:-(defaults)}\` | | shrink failed: $(tail -n 1 <<<"$output") | |"
            continue
        fi
        faults=${BASH_REMATCH[3]}
        operations=${BASH_REMATCH[4]}
        note=${BASH_REMATCH[7]#, }
        cluster=$(grep -oP '^  run +\K[0-9]+ nodes, [0-9]+ clients' <<<"$output" || true)
        echo "| \`$bug\` $seed | \`${options:-(defaults)}\` | ${BASH_REMATCH[1]} faults, ${BASH_REMATCH[2]} ops" \
            "| $faults faults, $operations ops${cluster:+ ($cluster)} | ${BASH_REMATCH[5]} (${BASH_REMATCH[6]})${note:+, $note} |"
        shrunk_count=$((shrunk_count + 1))
        ((faults <= 5 && operations <= 20)) && met=$((met + 1))
    done
done < "$list"
echo
echo "$met of $shrunk_count shrunk to at most 5 faults and 20 operations."
