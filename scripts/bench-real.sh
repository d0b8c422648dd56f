#!/usr/bin/env bash
# Real-mode raft-kv against etcd 3.4: both 3 nodes on loopback, the same load
# (closed-loop clients, each putting small integers one at a time, waiting for
# the answer), with 1 and 16 clients: throughput and p50 / p99 latency.
# Both fsync before acknowledging (etcd always does; raft-kv syncs its log
# before it acknowledges, one fdatasync per batch of ready inputs).
#
#   scripts/bench-real.sh [FAULTLINE_BINARY] [SECONDS]
#
# Ports are picked free on 127.0.0.1; every process started is stopped on exit.
set -euo pipefail

faultline=${1:-build/release/faultline}
seconds=${2:-10}
work=$(mktemp -d /tmp/faultline-bench-real-XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "raft-kv (faultline test --real, 3 nodes, writes only, no faults, ${seconds}s)"
for clients in 1 16; do
    "$faultline" test --real --nodes 3 --concurrency "$clients" --write-percent 100 --read-percent 0 \
        --nemesis none --time-limit "$seconds" --keys 16 --seed 1 --store "$work/store" |
        sed -n "s/^throughput/  $clients client(s): throughput/p"
done

command -v etcd >/dev/null || { echo "etcd not installed: skipped"; exit 0; }
read -r -a ports < <(python3 -c '
import socket
s=[socket.socket() for _ in range(6)]
for x in s: x.bind(("127.0.0.1",0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
cluster=""
for i in 0 1 2; do
    cluster+="${cluster:+,}e$i=http://127.0.0.1:${ports[$((2 * i))]}"
done
for i in 0 1 2; do
    etcd --name "e$i" --data-dir "$work/etcd$i" \
        --listen-peer-urls "http://127.0.0.1:${ports[$((2 * i))]}" \
        --initial-advertise-peer-urls "http://127.0.0.1:${ports[$((2 * i))]}" \
        --listen-client-urls "http://127.0.0.1:${ports[$((2 * i + 1))]}" \
        --advertise-client-urls "http://127.0.0.1:${ports[$((2 * i + 1))]}" \
        --initial-cluster "$cluster" --initial-cluster-state new >"$work/etcd$i.log" 2>&1 &
    pids+=($!)
done
endpoint="127.0.0.1:${ports[1]}"
for _ in $(seq 100); do
    etcdctl --endpoints "$endpoint" put ready 1 >/dev/null 2>&1 && break
    sleep 0.1
done
leader=$(etcdctl --endpoints "$endpoint" endpoint status --cluster -w json |
    python3 -c 'import json,sys; s=json.load(sys.stdin); print([e["Endpoint"] for e in s if e["Status"]["leader"]==e["Status"]["header"]["member_id"]][0])')
echo "etcd 3.4 (3 nodes, puts through the v3 JSON gateway of the leader ${leader}, ${seconds}s)"
for clients in 1 16; do
    python3 - "$leader" "$clients" "$seconds" <<'PY'
import base64, http.client, json, sys, threading, time
url, clients, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
host = url.split("//")[1]
latencies, lock = [], threading.Lock()
end = time.monotonic() + seconds
def client(n):
    conn = http.client.HTTPConnection(host, timeout=5)
    mine, i = [], 0
    while time.monotonic() < end:
        i += 1
        body = json.dumps({"key": base64.b64encode(b"k%d" % (i % 16)).decode(),
                           "value": base64.b64encode(str(i).encode()).decode()})
        start = time.monotonic()
        conn.request("POST", "/v3/kv/put", body, {"Content-Type": "application/json"})
        conn.getresponse().read()
        mine.append(time.monotonic() - start)
    with lock:
        latencies.extend(mine)
threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
latencies.sort()
q = lambda p: latencies[min(len(latencies) - 1, int(p * (len(latencies) - 1) + 0.5))] * 1e3
print(f"  {clients} client(s): throughput {len(latencies) / seconds:.0f} ok/s; latency p50 {q(0.5):.2f} ms, p99 {q(0.99):.2f} ms")
PY
done
