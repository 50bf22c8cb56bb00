#!/usr/bin/env bash
# One-shot GPU check on the device machine (no JDK, no network there). Prepare with bin/device-bundle, then run
# with the device tool: command "bash benchmarks/gpu/device-run.sh", carry [".device"]. Logs go to $OUT.
# Steps, each with its own time limit: OpenCL probe, device list, the OpenCL kernel and training tests on the GPU,
# a per-kernel profile, the JMH CPU-vs-OpenCL benchmark, the tutorial network for $EPOCHS epochs with
# --backend opencl, and the same network in PyTorch on the same card (CUDA).
# Tested on a CPU box with PoCL standing in: OPENCL_VENDOR_LIB=/usr/lib/x86_64-linux-gnu/libpocl.so.2 EPOCHS=1 LIMIT=2000
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${OUT:-/tmp/pcnn-out}
EPOCHS=${EPOCHS:-10}
LIMIT=${LIMIT:-}
mkdir -p "$OUT"
B=/tmp/pcnn-bundle
rm -rf "$B" && mkdir -p "$B" && tar -C "$B" -xzf "$ROOT/.device/bundle.tar.gz" || { echo "no .device/bundle.tar.gz: run bin/device-bundle first"; exit 1; }
JAVA="$B/jre/bin/java"
# signal chaining: an OpenCL driver's own SIGSEGV handler must not replace the JVM's (bin/java-env.sh)
export LD_PRELOAD="$B/jre/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}"
JFLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
CP="$B/lib/*"
log() { echo "== $* ($(date +%T))" | tee -a "$OUT/summary.txt"; }
step() {  # step NAME SECONDS CMD...: runs with a time limit, output to $OUT/NAME.txt, tail to the summary
  local name=$1 secs=$2; shift 2
  log "$name"
  timeout "$secs" "$@" > "$OUT/$name.txt" 2>&1; local rc=$?
  tail -n 25 "$OUT/$name.txt" | grep -v 'incubator modules' | tee -a "$OUT/summary.txt"
  echo "-- $name: exit $rc" | tee -a "$OUT/summary.txt"
}

log "machine"; { nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1; nproc; } | tee -a "$OUT/summary.txt"
step probe 60 bash "$B/device/nvidia-opencl-probe.sh" "$B/device/debs" /tmp/ocl-prefix
eval "$(grep '^export ' "$OUT/probe.txt")"
step devices 60 "$JAVA" "${JFLAGS[@]}" -cp "$CP" dev.panamacnn.cli.PanamaCnn devices
step kernel-tests 240 env PANAMA_CNN_REQUIRE_OPENCL=1 "$JAVA" "${JFLAGS[@]}" -Xmx4g -jar "$B"/lib/junit-platform-console-standalone-*.jar \
  execute --class-path "$(echo "$B"/lib/*.jar | tr ' ' ':')" --select-class dev.panamacnn.gpu.KernelTest \
  --select-class dev.panamacnn.gpu.OpenClTrainingTest --details=tree --disable-banner --disable-ansi-colors
step profile 120 "$JAVA" "${JFLAGS[@]}" -cp "$CP" dev.panamacnn.bench.OpenClProfile 128 20
step jmh 300 "$JAVA" "${JFLAGS[@]}" -cp "$CP" org.openjdk.jmh.Main BackendBenchmark -wi 1 -w 2s -i 3 -r 3s -f 1 \
  -jvmArgsPrepend "-Xmx4g" -rf json -rff "$OUT/jmh.json" ${JMH_EXTRA:-}
step train-opencl 600 "$JAVA" "${JFLAGS[@]}" -Xms32m -Xmx2g -cp "$CP" dev.panamacnn.cli.PanamaCnn train --backend opencl \
  --epochs "$EPOCHS" ${LIMIT:+--limit $LIMIT} --data-dir "$B/mnist" --offline --no-checkpoint
if command -v python3 >/dev/null && python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  step pytorch-cuda 300 python3 "$ROOT/benchmarks/pytorch/mnist_cnn.py" --device cuda --epochs "$EPOCHS" ${LIMIT:+--limit $LIMIT} --data-dir "$B/mnist"
else
  log "pytorch-cuda: skipped (no python3 with CUDA torch)"
fi
log "done"
