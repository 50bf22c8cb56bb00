#!/usr/bin/env bash
# panama-cnn against the strongest engines here, on the same machine, same data, same network, in one run:
#   benchmarks/compare.sh [REPEATS=3] [STEPS=468] [THREADS=2] [MODEL_JSON]
# STEPS=468 times a whole epoch (60,000 images in full batches of 128) after 30 warm-up steps, for every engine:
# a shorter window still holds the JIT's late compilations (150 steps measured ~10% slower than 1,000; see
# docs/performance.md, "How long compare.sh times").
# - training and inference: PyTorch (benchmarks/pytorch/bench.py) and TensorFlow through TensorFlow Java 1.1.0 (graph
#   mode; TfCompare, Maven profile "tensorflow", a module of its own so the tests never fetch its 160 MB native jar).
#   TfCompare starts from our initial weights and must match our losses, then our trained weights' predictions,
#   before it times anything.
# - inference: ONNX Runtime (InferCompare; Maven com.microsoft.onnxruntime:onnxruntime, a dependency of benchmarks/
#   only) runs the network exported from ours with Sequential.exportOnnx, after both agree on 1,000 test images.
#   The network is trained for one epoch first (INFER_STEPS=469 steps of 128): a trained ReLU network's activations
#   are sparser, and our batch-1 path skips dense-kernel rows whose input is zero.
# - the float32 GEMM ceiling: the fastest of OpenBLAS through numpy (benchmarks/pytorch/sgemm_ceiling.py) and
#   TensorFlow's MatMul (TfSgemm, oneDNN), and the time the epoch's multiply-adds (3 x the forward pass's, 1.717
#   TFLOP for the tutorial network) take at that speed.
# - panama-cnn as it runs by default (the second convolution as Winograd in training and inference,
#   -Dpanamacnn.winograd=on), again with training on the exact direct path (=predict), and its inference on the
#   exact path (=off).
# MODEL_JSON: docs/examples/mnist_convnet.json runs Keras' simple MNIST convnet (ours read from the JSON; PyTorch
# builds its twin; TensorFlow and the ceiling rows are left out).
# Each engine runs REPEATS times, alternating, as separate processes, each round in an order rotated by one; the
# tables show medians and ratios.
# Needs /usr/bin/python3 with torch (Debian python3-torch; install libopenblas0-openmp so it uses OpenBLAS).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/bin/java-env.sh"
REPEATS=${1:-3}; STEPS=${2:-468}; THREADS=${3:-2}; MODEL=${4:-}
DATA=${PANAMA_CNN_DATA:-$HOME/.cache/panama-cnn}/mnist
[ -f "$DATA/train-images-idx3-ubyte" ] || [ -f "$DATA/train-images-idx3-ubyte.gz" ] || "$ROOT/bin/panama-cnn" show --index 0 --out /dev/null >/dev/null
cd "$ROOT"
TF=$([ -z "$MODEL" ] && echo 1 || echo 0)
(set -o pipefail; mvn -B -q -ntp -DskipTests $([ "$TF" = 1 ] && echo -Ptensorflow) package \
  -pl "engine,benchmarks$([ "$TF" = 1 ] && echo ,benchmarks/tensorflow)" -am 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2)
TFCP="benchmarks/tensorflow/target/panama-cnn-tensorflow-reference-0.1.0-SNAPSHOT.jar:benchmarks/tensorflow/target/lib/*"
BLAS=$(/usr/bin/python3 -c "import numpy, io, contextlib; b=io.StringIO()
with contextlib.redirect_stdout(b): numpy.show_config()
print('OpenBLAS' if 'openblas' in b.getvalue().lower() else 'other')" 2>/dev/null || echo unknown)
BLASLIB=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown)
OUT=$(mktemp)
BENCHCP="benchmarks/target/panama-cnn-benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*"
# one run of each training-side job; a round runs them all, each round starting one job later than the last
train_job() {
  case "$1" in
    panama-cnn|panama-cnn-exact)
      LD_PRELOAD="$(pcnn_preload)" "$JAVA_HOME/bin/java" "${PCNN_JVM_FLAGS[@]}" "${PCNN_HEAP_FLAGS[@]}" \
        -Dpanamacnn.winograd=$([ "$1" = panama-cnn ] && echo on || echo predict) -cp "$BENCHCP" \
        dev.panamacnn.bench.Compare "$DATA" "$STEPS" "$THREADS" $MODEL 2> >(grep -v '^WARNING: Using incubator' >&2) | tail -1 ;;
    pytorch) /usr/bin/python3 benchmarks/pytorch/bench.py "$DATA" "$STEPS" "$THREADS" $MODEL | tail -1 ;;
    tensorflow)
      TF_CPP_MIN_LOG_LEVEL=2 "$JAVA_HOME/bin/java" "${PCNN_JVM_FLAGS[@]}" "${PCNN_HEAP_FLAGS[@]}" -cp "$TFCP" \
        dev.panamacnn.bench.tf.TfCompare "$DATA" "$STEPS" "$THREADS" 2> >(grep -v -E '^WARNING|^I0000|^WARNING: All log' >&2) | tail -1 ;;
    ceiling)
      OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS /usr/bin/python3 benchmarks/pytorch/sgemm_ceiling.py | tail -1
      TF_CPP_MIN_LOG_LEVEL=2 "$JAVA_HOME/bin/java" "${PCNN_JVM_FLAGS[@]}" -cp "$TFCP" dev.panamacnn.bench.tf.TfSgemm "$THREADS" \
        2> >(grep -v -E '^WARNING|^I0000' >&2) | tail -1 ;;
  esac
}
# rotate: round r starts at job r-1, so no engine always runs right after the same one (the machine's speed
# drifts within a round; a fixed order once showed up as a steady 0.5 s between two identical-speed runs)
rotated() { local r=$1; shift; local a=("$@") n=$#; for k in $(seq 0 $((n - 1))); do echo "${a[$(( (r - 1 + k) % n ))]}"; done; }
JOBS=(panama-cnn pytorch panama-cnn-exact)
[ "$TF" = 1 ] && JOBS+=(tensorflow ceiling)
for r in $(seq "$REPEATS"); do
  for job in $(rotated "$r" "${JOBS[@]}"); do train_job "$job" >> "$OUT"; done
done
INF=$(mktemp)
for r in $(seq "$REPEATS"); do
  for run in $(rotated "$r" panama-cnn:on onnxruntime:on panama-cnn:off); do
    LD_PRELOAD="$(pcnn_preload)" "$JAVA_HOME/bin/java" "${PCNN_JVM_FLAGS[@]}" "${PCNN_HEAP_FLAGS[@]}" -Dpanamacnn.winograd="${run#*:}" -Dinfer.steps="${INFER_STEPS:-469}" \
      -cp "$BENCHCP" dev.panamacnn.bench.InferCompare "$DATA" "$THREADS" "${run%%:*}" $MODEL 2> >(grep -v '^WARNING: Using incubator' >&2) | tail -1 >> "$INF"
  done
done
/usr/bin/python3 - "$OUT" "$BLASLIB" "$MODEL" "$INF" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
by = {}
for r in rows:
    by.setdefault("panama-cnn-exact" if r["impl"] == "panama-cnn winograd=predict" else r["impl"].split()[0], []).append(r)
med = lambda rs, k: statistics.median(r[k] for r in rs)
keys = [("epoch_s", "s per epoch (60,000 images)"), ("train_images_per_s", "training images/s"),
        ("infer_1000_images_per_s", "inference images/s, batch 1000"), ("infer_1_images_per_s", "inference images/s, batch 1"),
        ("peak_rss_mb", "peak RSS (MB)")]
p, t, f, pw = by["panama-cnn"], by["pytorch"], by.get("tensorflow", []), by.get("panama-cnn-exact", [])
print(f"network: {sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else 'the tutorial CNN'}")
print(f"{len(p)} runs each, {p[0]['steps']} timed training steps of batch 128 after 30 warm-up steps, {p[0]['threads']} threads")
print(f"PyTorch: {t[0]['impl']}, system BLAS: {sys.argv[2]}")
if f:
    print(f"TensorFlow: {f[0]['impl']}, {f[0]['threads']} intra-op threads, {f[0]['inter_op_threads']} inter-op thread(s);"
          f" it matched our losses within {max(r['loss_diff'] for r in f):.1e} over 30 steps from our initial weights,"
          f" and our trained weights' predictions within {max(r['max_abs_diff'] for r in f):.1e}")
    print("panama-cnn: the default (-Dpanamacnn.winograd=on: the second convolution's forward pass and input gradient as F(4x4, 5x5), its kernel gradient as F(5x5, 4x4));"
          " 'exact': -Dpanamacnn.winograd=predict (training on the direct path); both columns infer with Winograd F(4x4, 5x5)")
    print("| metric | panama-cnn (median) | panama-cnn, exact (median) | PyTorch (median) | TensorFlow (median) | panama-cnn / PyTorch | panama-cnn / TensorFlow | exact / TensorFlow |")
    print("|---|---|---|---|---|---|---|---|")
    for k, name in keys:
        a, aw, b, c = med(p, k), med(pw, k), med(t, k), med(f, k)
        print(f"| {name} | {a:,.1f} | {aw:,.1f} | {b:,.1f} | {c:,.1f} | {a / b:.2f}x | {a / c:.2f}x | {aw / c:.2f}x |")
else:
    print("| metric | panama-cnn (median) | PyTorch (median) | panama-cnn / PyTorch |")
    print("|---|---|---|---|")
    for k, name in keys:
        a, b = med(p, k), med(t, k)
        print(f"| {name} | {a:,.1f} | {b:,.1f} | {a / b:.2f}x |")
if by.get("numpy") and by.get("tfmatmul"):
    nb, tb = by["numpy"], by["tfmatmul"]
    ceil = max(med(nb, "best_gflops"), med(tb, "best_gflops"))
    flop = 1.717e12
    ideal = flop / (ceil * 1e9)
    print()
    print(f"float32 GEMM ceiling, {p[0]['threads']} threads (best of n = 1024, 2048, 4096; medians over the runs):"
          f" OpenBLAS through numpy {med(nb, 'best_gflops'):.1f} GFLOP/s, TensorFlow MatMul (oneDNN) {med(tb, 'best_gflops'):.1f} GFLOP/s")
    print(f"the epoch's multiply-adds, 3 x the forward pass's (1.717 TFLOP), at the faster one ({ceil:.1f} GFLOP/s): {ideal:.2f} s;"
          f" panama-cnn's epoch {med(p, 'epoch_s'):.2f} s = {med(p, 'epoch_s') / ideal:.2f}x that, {flop / med(p, 'epoch_s') / 1e9:.0f} GFLOP/s effective;"
          f" exact {med(pw, 'epoch_s'):.2f} s = {med(pw, 'epoch_s') / ideal:.2f}x")
inf = [json.loads(l) for l in open(sys.argv[4]) if l.startswith("{")]
o = [r for r in inf if r["impl"] == "panama-cnn winograd=on"]
x = [r for r in inf if r["impl"] == "onnxruntime"]
w = [r for r in inf if r["impl"] == "panama-cnn winograd=off"]
print()
print(f"ONNX Runtime {x[0]['version']} (Java API, {x[0]['threads']} intra-op threads, all graph optimizations), the same weights;"
      f" outputs agree within {max(r['max_abs_diff'] for r in inf):.1e}; {len(o)} alternating runs each;"
      f" panama-cnn: the default (the second convolution as Winograd F(4x4, 5x5), -Dpanamacnn.winograd=on); 'exact': -Dpanamacnn.winograd=off")
print("| inference images/s | panama-cnn (median) | panama-cnn, exact (median) | ONNX Runtime (median) | panama-cnn / ONNX Runtime | exact / ONNX Runtime |")
print("|---|---|---|---|---|---|")
for k, name in [("infer_1_images_per_s", "batch 1"), ("infer_1000_images_per_s", "batch 1000")]:
    a, c, b = med(o, k), med(w, k), med(x, k)
    print(f"| {name} | {a:,.0f} | {c:,.0f} | {b:,.0f} | {a / b:.2f}x | {c / b:.2f}x |")
PY
rm -f "$OUT" "$INF"
