#!/usr/bin/env python3
"""The float32 matrix-product ceiling of this machine, measured with the system BLAS (OpenBLAS through numpy),
the reference that panama-cnn's GEMM efficiency is quoted against.

Usage: OPENBLAS_NUM_THREADS=2 /usr/bin/python3 benchmarks/pytorch/sgemm_ceiling.py [N ...]   (default 1024 2048 4096)
The last line is JSON (the best over the square sizes), for benchmarks/compare.sh.
"""
import json, sys, time
import numpy as np

found = {}
for n in [int(a) for a in sys.argv[1:]] or [1024, 2048, 4096]:
    a = np.random.rand(n, n).astype(np.float32)
    b = np.random.rand(n, n).astype(np.float32)
    a @ b
    best = 0.0
    for _ in range(5):
        t = time.perf_counter()
        a @ b
        best = max(best, 2.0 * n ** 3 / (time.perf_counter() - t) / 1e9)
    found[f"n{n}"] = round(best, 1)
    print(f"sgemm n={n}: {best:.1f} GFLOP/s (best of 5)")
# the dense layer's forward shape
a = np.random.rand(128, 1024).astype(np.float32); b = np.random.rand(1024, 1000).astype(np.float32)
a @ b
best = 0.0
for _ in range(50):
    t = time.perf_counter(); a @ b; best = max(best, 2.0 * 128 * 1024 * 1000 / (time.perf_counter() - t) / 1e9)
print(f"sgemm 128x1000x1024 (dense forward): {best:.1f} GFLOP/s (best of 50)")
# the last line, for benchmarks/compare.sh
print(json.dumps({"impl": "numpy " + np.__version__ + " (OpenBLAS)", **found, "best_gflops": max(found.values())}))
