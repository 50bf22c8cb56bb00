#!/usr/bin/env python3
"""Checks ONNX files written by panama-cnn with ONNX's own checker (Debian python3-onnx), full check with shape inference.

Usage: /usr/bin/python3 benchmarks/onnx/check.py FILE.onnx...   (prints one line per file; exit 1 if any fails)
"""
import sys
import onnx
from onnx import checker, shape_inference

bad = 0
for path in sys.argv[1:]:
    try:
        m = onnx.load(path)
        checker.check_model(m, full_check=True)
        inferred = shape_inference.infer_shapes(m, strict_mode=True)
        out = inferred.graph.output[0]
        dims = [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim]
        print(f"{path}: ok (ir {m.ir_version}, opset {m.opset_import[0].version}, graph '{m.graph.name}', "
              f"{len(m.graph.node)} nodes, output {out.name} {dims})")
    except Exception as e:
        bad += 1
        print(f"{path}: FAILED: {e}")
sys.exit(1 if bad else 0)
