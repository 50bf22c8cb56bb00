# Sourced by bin/panama-cnn-tornado and bin/test: finds the TornadoVM SDK, or says why there is none.
# Order: $TORNADOVM_HOME, then /opt/tornadovm (the conventional place; docs/gpu.md). Sets TORNADOVM_HOME and
# PCNN_TORNADO_API (the SDK's tornado-api jar) and returns 0, or prints nothing and returns 1.
pcnn_find_tornado() {
  local h
  for h in "${TORNADOVM_HOME:-}" /opt/tornadovm; do
    [ -n "$h" ] && [ -f "$h/tornado-argfile" ] || continue
    PCNN_TORNADO_API=$(ls "$h"/share/java/tornado/tornado-api-*.jar 2>/dev/null | head -1)
    [ -n "$PCNN_TORNADO_API" ] || continue
    export TORNADOVM_HOME="$h"
    PCNN_TORNADO_VERSION=$(basename "$PCNN_TORNADO_API" .jar); PCNN_TORNADO_VERSION=${PCNN_TORNADO_VERSION#tornado-api-}
    return 0
  done
  return 1
}
# Why pcnn_find_tornado failed, in one line.
pcnn_no_tornado_reason() {
  if [ -z "${TORNADOVM_HOME:-}" ]; then
    echo "TORNADOVM_HOME is not set and /opt/tornadovm holds no SDK: install a TornadoVM SDK (TornadoVM's releases) and set TORNADOVM_HOME to its folder"
  elif [ ! -f "$TORNADOVM_HOME/tornado-argfile" ]; then
    echo "TORNADOVM_HOME=$TORNADOVM_HOME has no tornado-argfile: it is not a TornadoVM SDK folder"
  else
    echo "TORNADOVM_HOME=$TORNADOVM_HOME has no share/java/tornado/tornado-api-*.jar: it is not a TornadoVM SDK folder"
  fi
}
# The Maven flags that build the TornadoVM module against the SDK found (call pcnn_find_tornado first).
pcnn_tornado_maven_flags() {
  echo "-Dtornado.home=$TORNADOVM_HOME -Dtornado.version=$PCNN_TORNADO_VERSION"
}
