#!/usr/bin/env bash
# panama-cnn vs PyTorch (training and inference) and ONNX Runtime (inference) on the same machine, same data,
# same network, in one run:
#   benchmarks/compare.sh [REPEATS=3] [STEPS=150] [THREADS=2] [MODEL_JSON]
# MODEL_JSON: docs/examples/mnist_convnet.json runs Keras' simple MNIST convnet on both sides (ours read from the JSON).
# Each side runs REPEATS times, alternating, as separate processes; the tables show medians and ratios.
# ONNX Runtime (Maven com.microsoft.onnxruntime:onnxruntime, a dependency of benchmarks/ only) runs the network
# exported from ours with Sequential.exportOnnx, after both agree on 1,000 test images (InferCompare).
# Needs /usr/bin/python3 with torch (Debian python3-torch; install libopenblas0-openmp so it uses OpenBLAS).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/bin/java-env.sh"
REPEATS=${1:-3}; STEPS=${2:-150}; THREADS=${3:-2}; MODEL=${4:-}
DATA=${PANAMA_CNN_DATA:-$HOME/.cache/panama-cnn}/mnist
[ -f "$DATA/train-images-idx3-ubyte" ] || [ -f "$DATA/train-images-idx3-ubyte.gz" ] || "$ROOT/bin/panama-cnn" show --index 0 --out /dev/null >/dev/null
cd "$ROOT"
(set -o pipefail; mvn -B -q -ntp -DskipTests package -pl engine,benchmarks -am 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2)
BLAS=$(/usr/bin/python3 -c "import numpy, io, contextlib; b=io.StringIO()
with contextlib.redirect_stdout(b): numpy.show_config()
print('OpenBLAS' if 'openblas' in b.getvalue().lower() else 'other')" 2>/dev/null || echo unknown)
BLASLIB=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown)
OUT=$(mktemp)
for r in $(seq "$REPEATS"); do
  LD_PRELOAD="$(pcnn_preload)" "$JAVA_HOME/bin/java" "${PCNN_JVM_FLAGS[@]}" "${PCNN_HEAP_FLAGS[@]}" -cp "benchmarks/target/panama-cnn-benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*" \
    dev.panamacnn.bench.Compare "$DATA" "$STEPS" "$THREADS" $MODEL 2> >(grep -v '^WARNING: Using incubator' >&2) | tail -1 >> "$OUT"
  /usr/bin/python3 benchmarks/pytorch/bench.py "$DATA" "$STEPS" "$THREADS" $MODEL | tail -1 >> "$OUT"
done
INF=$(mktemp)
for r in $(seq "$REPEATS"); do
  for engine in panama-cnn onnxruntime; do
    LD_PRELOAD="$(pcnn_preload)" "$JAVA_HOME/bin/java" "${PCNN_JVM_FLAGS[@]}" "${PCNN_HEAP_FLAGS[@]}" -cp "benchmarks/target/panama-cnn-benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*" \
      dev.panamacnn.bench.InferCompare "$DATA" "$THREADS" "$engine" $MODEL 2> >(grep -v '^WARNING: Using incubator' >&2) | tail -1 >> "$INF"
  done
done
/usr/bin/python3 - "$OUT" "$BLASLIB" "$MODEL" "$INF" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
by = {}
for r in rows:
    by.setdefault(r["impl"].split()[0], []).append(r)
keys = [("epoch_s", "s per epoch (60,000 images)", False), ("train_images_per_s", "training images/s", True),
        ("infer_1000_images_per_s", "inference images/s, batch 1000", True), ("infer_1_images_per_s", "inference images/s, batch 1", True),
        ("peak_rss_mb", "peak RSS (MB)", False)]
p, t = by["panama-cnn"], by["pytorch"]
print(f"network: {sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else 'the tutorial CNN'}")
print(f"{len(p)} runs each, {p[0]['steps']} timed training steps of batch 128 after 30 warm-up steps, {p[0]['threads']} threads")
print(f"PyTorch: {t[0]['impl']}, system BLAS: {sys.argv[2]}")
print(f"| metric | panama-cnn (median) | PyTorch (median) | panama-cnn / PyTorch |")
print(f"|---|---|---|---|")
for k, name, higher in keys:
    a, b = statistics.median(r[k] for r in p), statistics.median(r[k] for r in t)
    print(f"| {name} | {a:,.1f} | {b:,.1f} | {a / b:.2f}x |")
inf = [json.loads(l) for l in open(sys.argv[4]) if l.startswith("{")]
o = [r for r in inf if r["impl"] == "panama-cnn"]
x = [r for r in inf if r["impl"] == "onnxruntime"]
print()
print(f"ONNX Runtime {x[0]['version']} (Java API, {x[0]['threads']} intra-op threads, all graph optimizations), the same weights;"
      f" outputs agree within {max(r['max_abs_diff'] for r in inf):.1e}; {len(o)} alternating runs each")
print("| inference images/s | panama-cnn (median) | ONNX Runtime (median) | panama-cnn / ONNX Runtime |")
print("|---|---|---|---|")
for k, name in [("infer_1_images_per_s", "batch 1"), ("infer_1000_images_per_s", "batch 1000")]:
    a, b = statistics.median(r[k] for r in o), statistics.median(r[k] for r in x)
    print(f"| {name} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x |")
PY
rm -f "$OUT" "$INF"
