#!/usr/bin/env bash
# One-shot GPU run on the device machine (no JDK, no network there; 600 s per command). Prepare with
# bin/device-bundle, then run with the device tool: command "bash benchmarks/gpu/device-run.sh", carry [".device"].
#
# Order, so that what matters most comes back even if time runs out: machine, OpenCL probe, PyTorch CUDA (the
# reference, on the same card), the tutorial network on our OpenCL backend, on TornadoVM's OpenCL driver and on its
# PTX driver (each EPOCHS epochs; a step cut short by its deadline still reports the epochs it finished), then the
# OpenCL kernel tests and the JMH comparison while time is left. Every step runs under `timeout -k` with a deadline
# taken from what is left of BUDGET seconds, so the whole run ends before the command limit.
# Output: ONE log, $OUT/device-run.log (the device tool brings back at most 8 files), ending in one VERDICT line.
# The Java steps get the libjsig preload and the probe's OpenCL variables; the PyTorch step gets neither.
# Tested here with PoCL standing in:
#   OPENCL_VENDOR_LIB=/usr/lib/x86_64-linux-gnu/libpocl.so.2 FORCE_EXTRACT=1 EPOCHS=1 LIMIT=2000 OUT=/tmp/o bash benchmarks/gpu/device-run.sh
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${OUT:-/tmp/pcnn-out}
EPOCHS=${EPOCHS:-10}
LIMIT=${LIMIT:-}
BUDGET=${BUDGET:-570}
START=$(date +%s)
mkdir -p "$OUT"
LOG="$OUT/device-run.log"
: > "$LOG"
left() { echo $(( BUDGET - ($(date +%s) - START) )); }
say() { echo "$*" | tee -a "$LOG"; }
declare -A RESULT
verdict() {
  local line="VERDICT:"
  for k in machine probe pytorch-cuda opencl tornado-opencl tornado-ptx kernel-tests jmh; do line+=" $k=${RESULT[$k]:-not-run}"; done
  say "$line ($(( $(date +%s) - START )) s of $BUDGET)"
}
trap verdict EXIT

B=/tmp/pcnn-bundle
rm -rf "$B" && mkdir -p "$B"
if ! tar -C "$B" -xzf "$ROOT/.device/bundle.tar.gz"; then RESULT[machine]="no-bundle(run bin/device-bundle)"; exit 1; fi
JAVA="$B/jre/bin/java"
JFLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
CP="$B/lib/*"
JENV=(env "LD_PRELOAD=$B/jre/lib/libjsig.so")   # the Java steps' environment; PyTorch runs without it
TORNADO="$B/tornadovm"

# step NAME WANT CMD...: runs CMD with a deadline of min(WANT, time left - 20) seconds, appends its output to the
# log; sets STEP_RC (124 or 137: cut at the deadline; 200: not run, no time left)
step() {
  local name=$1 want=$2; shift 2
  local limit=$(( $(left) - 20 ))
  [ "$limit" -gt "$want" ] && limit=$want
  if [ "$limit" -lt 15 ]; then say "== $name: skipped, $(left) s left"; STEP_RC=200; return; fi
  say "== $name (deadline ${limit}s, $(date +%T))"
  timeout -k 5 "$limit" "$@" >> "$LOG" 2>&1
  STEP_RC=$?
  say "-- $name: exit $STEP_RC"
}
# summary of a training run's log section: epochs done, mean epoch time, test accuracy
train_result() {  # train_result FROM_LINE RC
  local part; part=$(tail -n +"$1" "$LOG")
  local epochs acc secs
  epochs=$(echo "$part" | grep -cE '^[0-9]+/[0-9]+ \[=+\]')
  secs=$(echo "$part" | sed -n 's/^Mean epoch time: \([0-9.]*\) s/\1/p' | tail -1)
  acc=$(echo "$part" | sed -n 's/^Test accuracy: \([0-9.]*\)/\1/p' | tail -1)
  if [ -n "$acc" ]; then echo "ok(epochs=$epochs,s/epoch=$secs,acc=$acc)"
  elif [ "$2" = 124 ] || [ "$2" = 137 ]; then echo "cut(epochs=$epochs,deadline)"
  else echo "failed(exit=$2,epochs=$epochs)"; fi
}
TRAIN_ARGS=(--epochs "$EPOCHS" ${LIMIT:+--limit $LIMIT} --data-dir "$B/mnist" --offline --no-checkpoint)

say "== machine"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1; echo "cores: $(nproc)"; } | tee -a "$LOG"
RESULT[machine]=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | tr ' ' '_'); RESULT[machine]=${RESULT[machine]:-no-nvidia-smi}

# 1. OpenCL probe: its exit code decides whether the OpenCL steps run (0 GPU, 2 OpenCL without a GPU, 1 none)
from=$(wc -l < "$LOG")
step probe 45 bash "$B/device/nvidia-opencl-probe.sh" "$B/device/debs" /tmp/ocl-prefix
probe_rc=$STEP_RC
while IFS= read -r l; do JENV+=("${l#export }"); done < <(tail -n +"$from" "$LOG" | grep '^export ' | sed "s/'//g; s/\"//g")
case $probe_rc in 0) RESULT[probe]=gpu ;; 2) RESULT[probe]=opencl-no-gpu ;; *) RESULT[probe]="no-opencl(exit=$probe_rc)" ;; esac
run_opencl=0; [ "$probe_rc" = 0 ] && run_opencl=1
[ "${ALLOW_CPU_OPENCL:-0}" = 1 ] && [ "$probe_rc" = 2 ] && run_opencl=1   # PoCL standing in, for the test here

# 2. PyTorch CUDA, right after the probe: the reference on the same card
if command -v python3 >/dev/null && env -u LD_PRELOAD python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  from=$(( $(wc -l < "$LOG") + 1 ))
  step pytorch-cuda 150 env -u LD_PRELOAD python3 "$ROOT/benchmarks/pytorch/mnist_cnn.py" --device cuda --epochs "$EPOCHS" ${LIMIT:+--limit $LIMIT} --data-dir "$B/mnist"
  acc=$(tail -n +"$from" "$LOG" | grep -oiE 'test accuracy[^0-9]*[0-9.]+' | tail -1 | grep -oE '[0-9.]+$')
  secs=$(tail -n +"$from" "$LOG" | grep -oiE 'mean epoch time[^0-9]*[0-9.]+' | tail -1 | grep -oE '[0-9.]+$')
  RESULT[pytorch-cuda]=$([ "$STEP_RC" = 0 ] && echo "ok(s/epoch=$secs,acc=$acc)" || echo "failed(exit=$STEP_RC)")
else
  RESULT[pytorch-cuda]="skipped(no-cuda-torch)"; say "== pytorch-cuda: skipped (no python3 with CUDA torch)"
fi

# 3. our OpenCL backend
if [ $run_opencl = 1 ]; then
  from=$(( $(wc -l < "$LOG") + 1 ))
  step opencl 150 "${JENV[@]}" "$JAVA" "${JFLAGS[@]}" -Xms32m -Xmx2g -cp "$CP" dev.panamacnn.cli.PanamaCnn train --backend opencl "${TRAIN_ARGS[@]}"
  RESULT[opencl]=$(train_result "$from" "$STEP_RC")
else
  RESULT[opencl]="skipped(probe)"; say "== opencl: skipped (the probe found no OpenCL GPU)"
fi

# 4. TornadoVM, OpenCL driver and PTX driver (the argfile is rewritten for the bundle's paths, one driver at a time)
tornado_run() {  # tornado_run DRIVER
  local d=$1 other; other=$([ "$d" = opencl ] && echo ptx || echo opencl)
  [ -f "$TORNADO/tornado-argfile" ] || { RESULT[tornado-$d]="skipped(no-sdk-in-bundle)"; say "== tornado-$d: skipped (no TornadoVM SDK in the bundle)"; return; }
  local tpl="$TORNADO/tornado-argfile.template"
  if [ ! -f "$tpl" ]; then tpl="$B/tornado-argfile.template"; sed "s#$(cat "$TORNADO/.original-home")#\${TORNADOVM_HOME}#g" "$TORNADO/tornado-argfile" > "$tpl"; fi
  grep -q "tornado.drivers.$d" "$tpl" || { RESULT[tornado-$d]="skipped(sdk-without-$d)"; say "== tornado-$d: skipped (the bundled SDK has no $d driver)"; return; }
  mkdir -p "$B/tornado-$d/modules"
  for j in "$TORNADO"/share/java/tornado/*.jar; do case "$(basename "$j")" in tornado-drivers-$other*) ;; *) ln -sf "$j" "$B/tornado-$d/modules/" ;; esac; done
  sed -e "s#\${TORNADOVM_HOME}/share/java/tornado#$B/tornado-$d/modules#g" -e "s#\${TORNADOVM_HOME}#$TORNADO#g" \
      -e "s#,tornado.drivers.$other##g" -e "/tornado.drivers.$other/d" "$tpl" > "$B/tornado-$d/argfile"
  from=$(( $(wc -l < "$LOG") + 1 ))
  step "tornado-$d" "$2" "${JENV[@]}" "TORNADOVM_HOME=$TORNADO" "$JAVA" "@$B/tornado-$d/argfile" "${JFLAGS[@]}" -Dtornado.recover.bailout=False -Xmx4g \
    -cp "$CP" dev.panamacnn.cli.PanamaCnn train --backend tornado "${TRAIN_ARGS[@]}"
  RESULT[tornado-$d]=$(train_result "$from" "$STEP_RC")
}
if [ $run_opencl = 1 ]; then tornado_run opencl 150; else RESULT[tornado-opencl]="skipped(probe)"; say "== tornado-opencl: skipped (no OpenCL GPU)"; fi
tornado_run ptx 120

# 5. while time is left: the OpenCL kernel and training tests on the GPU, and the JMH comparison
if [ $run_opencl = 1 ]; then
  step kernel-tests 90 "${JENV[@]}" PANAMA_CNN_REQUIRE_OPENCL=1 "$JAVA" "${JFLAGS[@]}" -Xmx4g -jar "$B"/lib/junit-platform-console-standalone-*.jar \
    execute --class-path "$(echo "$B"/lib/*.jar | tr ' ' ':')" --select-class dev.panamacnn.gpu.KernelTest \
    --select-class dev.panamacnn.gpu.OpenClLayerContractTest --details=summary --disable-banner --disable-ansi-colors
  RESULT[kernel-tests]=$([ "$STEP_RC" = 0 ] && echo ok || echo "failed(exit=$STEP_RC)")
  step jmh 120 "${JENV[@]}" "$JAVA" "${JFLAGS[@]}" -cp "$CP" org.openjdk.jmh.Main BackendBenchmark -p backend=cpu,opencl -wi 1 -w 2s -i 2 -r 3s -f 1 -jvmArgsPrepend "-Xmx4g"
  RESULT[jmh]=$([ "$STEP_RC" = 0 ] && echo ok || echo "failed(exit=$STEP_RC)")
fi
