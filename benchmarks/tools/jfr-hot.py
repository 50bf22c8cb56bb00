#!/usr/bin/env python3
"""Where the CPU time of a JFR recording goes, by the method on top of each execution sample.

Record (1 ms sampling period, see sampling.jfc), then print and summarise:

  java -XX:StartFlightRecording=filename=step.jfr,settings=benchmarks/tools/sampling.jfc --add-modules jdk.incubator.vector \
       -cp "benchmarks/target/panama-cnn-benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*" dev.panamacnn.bench.StepProfile 128 2 600
  jfr print --events jdk.ExecutionSample --stack-depth 30 step.jfr > step.txt
  python3 benchmarks/tools/jfr-hot.py step.txt [skip-fraction]

Samples from the first skip-fraction of the recording (default 0.35: JIT warm-up) are left out. A helper thread
spinning for work counts as "helper idle"; the caller waiting in Parallel.forEach (or run) as "main waiting"; main-thread
samples outside any parallel chunk as "main serial".
"""
import collections
import re
import sys

skip = float(sys.argv[2]) if len(sys.argv) > 2 else 0.35
rows = []
for e in open(sys.argv[1], errors="replace").read().split("jdk.ExecutionSample {")[1:]:
    m = re.search(r"startTime = (\d+):(\d+):([\d.]+)", e)
    th = re.search(r'sampledThread = "([^"]+)"', e)
    if not m or not th:
        continue
    t = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    lines = [l.strip() for l in e.split("\n")]
    start = next((i for i, l in enumerate(lines) if l.startswith("stackTrace")), None)
    if start is None:
        continue
    frames = [re.sub(r"\s+line:.*", "", l).split("(")[0] for l in lines[start + 1:] if "(" in l]
    if frames:
        rows.append((t, th.group(1), frames))
t0, t1 = min(r[0] for r in rows), max(r[0] for r in rows)
steady = [r for r in rows if r[0] >= t0 + skip * (t1 - t0)]
counts = collections.Counter()
for _, thread, frames in steady:
    top = frames[0].replace("dev.panamacnn.", "")
    if "helperLoop" in top:
        key = "helper idle"
    elif "Parallel.forEach" in top or "Parallel.run" in top:   # the caller's wait (in run since forEachPinned)
        key = "main waiting"
    elif thread == "main" and not any("Parallel.work" in f for f in frames):
        key = "main serial: " + top
    else:
        key = top
    counts[key] += 1
print(f"{len(steady)} samples after the first {skip:.0%} of the recording")
for key, n in counts.most_common(30):
    print(f"{100 * n / len(steady):5.1f}%  {key}")
