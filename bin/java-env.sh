# Sourced by the scripts in bin/: finds a JDK >= 22 and exports JAVA_HOME, or stops with one clear line.
# Order: $JAVA_HOME, Temurin 25 under /usr/lib/jvm, any other JDK there, then `java` on PATH.
_pcnn_java_version() {  # prints the feature version of the JDK at $1 (e.g. 25), or nothing
  local v=
  # the JDK's release file names its version without starting a JVM (two JVM starts cost the launcher ~0.3 s);
  # a JDK without one is asked directly
  [ -f "$1/release" ] && v=$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$1/release" | head -1)
  [ -n "$v" ] || v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1)
  [ -n "$v" ] && [ -x "$1/bin/javac" ] && echo "${v%%.*}"
}
_pcnn_find_jdk() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-* /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    v=$(_pcnn_java_version "$c")
    if [ -n "$v" ] && [ "$v" -ge 22 ]; then echo "$c"; return 0; fi
  done
  if command -v java >/dev/null 2>&1; then
    c=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    v=$(_pcnn_java_version "$c")
    if [ -n "$v" ] && [ "$v" -ge 22 ]; then echo "$c"; return 0; fi
  fi
  return 1
}
if ! PCNN_JDK=$(_pcnn_find_jdk); then
  echo "panama-cnn: needs a JDK 22 or newer (JDK 25 recommended, e.g. Temurin 25); none found in JAVA_HOME (${JAVA_HOME:-unset}), /usr/lib/jvm or PATH" >&2
  exit 1
fi
export JAVA_HOME=$PCNN_JDK
export PATH="$JAVA_HOME/bin:$PATH"
# JVM flags every panama-cnn program needs: the Vector API (incubator) and native access for FFM.
PCNN_JVM_FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
# Signal chaining for the JVMs we start: an OpenCL driver built on LLVM (PoCL here; possibly others) installs its
# own SIGSEGV/SIGBUS/SIGILL/... handlers when it initializes, over the JVM's, which the JVM needs for safepoints
# and implicit null checks; the process then dies with SIGSEGV (exit 139, no hs_err file) at a random later
# moment. The JDK's libjsig, preloaded, keeps the JVM's handlers in place and chains the driver's behind them.
# Usage: LD_PRELOAD="$(pcnn_preload)" java ...
pcnn_preload() {
  local jsig="$JAVA_HOME/lib/libjsig.so"
  if [ -f "$jsig" ]; then
    case ":${LD_PRELOAD:-}:" in *libjsig.so*) echo "${LD_PRELOAD:-}" ;; *) echo "$jsig${LD_PRELOAD:+:$LD_PRELOAD}" ;; esac
  else
    echo "${LD_PRELOAD:-}"
  fi
}
# Heap for the launcher and benchmarks/compare.sh: tensors live off-heap, so the Java heap holds almost nothing
# but the short-lived vector objects of code not yet compiled by C2. The serial collector with a 16 MB young
# generation keeps that garbage from growing the heap: peak RSS of compare.sh 474 MB instead of 710-760 MB with
# G1 (-Xms32m -Xmx1g), at the same speed (docs/performance.md).
PCNN_HEAP_FLAGS=(-Xms32m -Xmx1g -Xmn16m -XX:+UseSerialGC)
# Maven's own libraries call sun.misc.Unsafe, which JDK 24+ warns about on every run: allow it quietly.
if [ "$(_pcnn_java_version "$JAVA_HOME")" -ge 24 ] 2>/dev/null; then
  case " ${MAVEN_OPTS:-} " in *sun-misc-unsafe-memory-access*) ;; *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;; esac
fi
