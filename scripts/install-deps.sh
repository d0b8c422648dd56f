#!/usr/bin/env bash
# Installs faultline's build and test dependencies from Debian packages.
# python3 runs the harness's test nodes (tests/harness/nodes/); chromium opens
# the generated reports in the tests (tests/report/browser_check.py drives it
# over the DevTools protocol on a pipe, so no driver is needed). asio is the
# event loop of real mode and of the fault proxy; etcd-server and etcd-client
# are the etcd under test (faultline test --system etcd). slurm-wlm and
# munge run the single-node Slurm cluster of the sharded-sweep test, parallel
# the GNU parallel one-liner, and python3-yaml reads the Kubernetes manifest
# (docs/scale-out.md).
# Idempotent: packages already present are left alone, so a second run costs a
# few dpkg queries and no network. Runs apt-get through sudo when not root.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config clang-format
    nlohmann-json3-dev libsimdjson-dev libcli11-dev libfmt-dev
    libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev
    libxxhash-dev libzstd-dev libtomlplusplus-dev libsodium-dev
    libasio-dev etcd-server etcd-client
    python3 chromium
    slurm-wlm munge parallel python3-yaml
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
fi

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have an empty or stale package index: update once and retry.
if ! "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
    "${sudo_cmd[@]}" apt-get update
    "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi
