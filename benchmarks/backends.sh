#!/usr/bin/env bash
# JMH, the three backends on the tutorial network in one command: the CPU engine, the OpenCL backend (our FFM host,
# kernels translated by Aparapi's translator) and the TornadoVM backend (kernels compiled by TornadoVM), one training
# step and inference at batch 128 and 1000; one table at the end.
#   benchmarks/backends.sh [extra JMH options, e.g. -wi 1 -i 3 -p batch=128]
# CPU and OpenCL rows run in a plain JVM; the TornadoVM rows in a JVM started with the SDK's tornado-argfile
# ($TORNADOVM_HOME, else /opt/tornadovm); without an SDK those rows are left out, and it says so.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/bin/java-env.sh"
source "$ROOT/bin/tornado-env.sh"
cd "$ROOT"
tornado=0
if pcnn_find_tornado; then tornado=1; else echo "TornadoVM rows left out: $(pcnn_no_tornado_reason)" >&2; fi
# shellcheck disable=SC2046
(set -o pipefail; mvn -B -q -ntp -DskipTests package -pl engine,gpu-kernels,benchmarks$([ $tornado = 1 ] && echo ,tornado-kernels) -am \
  $([ $tornado = 1 ] && pcnn_tornado_maven_flags) 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2)
CP="benchmarks/target/panama-cnn-benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*"
OUT=$(mktemp -d)
LD_PRELOAD="$(pcnn_preload)" "$JAVA_HOME/bin/java" "${PCNN_JVM_FLAGS[@]}" -cp "$CP" org.openjdk.jmh.Main BackendBenchmark \
  -p backend=cpu,opencl -rf json -rff "$OUT/plain.json" "$@"
if [ $tornado = 1 ]; then
  LD_PRELOAD="$(pcnn_preload)" "$JAVA_HOME/bin/java" "${PCNN_JVM_FLAGS[@]}" -cp "$CP:tornado-kernels/target/panama-cnn-tornado-kernels-0.1.0-SNAPSHOT.jar" \
    org.openjdk.jmh.Main BackendBenchmark -p backend=tornado \
    -jvmArgsAppend "@$TORNADOVM_HOME/tornado-argfile -Dtornado.recover.bailout=False" -rf json -rff "$OUT/tornado.json" "$@"
fi
python3 - "$OUT" <<'PY'
import json, os, sys
rows = []
for f in ("plain.json", "tornado.json"):
    p = os.path.join(sys.argv[1], f)
    if os.path.exists(p): rows += json.load(open(p))
print("\n| benchmark | backend | batch | batches/s | images/s |")
print("|---|---|---|---|---|")
for r in rows:
    name = r["benchmark"].rsplit(".", 1)[1]
    prm = r["params"]
    img = r.get("secondaryMetrics", {}).get("images", {}).get("score", float("nan"))
    print(f"| {name} | {prm['backend']} | {prm['batch']} | {r['primaryMetric']['score']:,.2f} | {img:,.0f} |")
PY
