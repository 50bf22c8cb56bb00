#!/usr/bin/env python3
"""Hand-builds Keras weight files (there is no Keras on this machine) with h5py, in the layouts Keras writes, for
KerasWeightsTest; and computes the simple MNIST convnet's output with numpy from the same weights, as the reference.

Usage: /usr/bin/python3 benchmarks/keras/make_weights_fixtures.py OUT_DIR

Layouts followed:
- Keras 3 (`model.save_weights("x.weights.h5")`, and `model.weights.h5` inside a `.keras` zip next to `config.json`
  and `metadata.json`): keras/src/saving/saving_lib.py, H5IOStore: one group per layer under `layers/<name>`, its
  weights as datasets `vars/0`, `vars/1`, ... in the layer's `weights` order (kernel, bias; gamma, beta,
  moving_mean, moving_variance).
- tf.keras 2 / Keras 2 legacy HDF5 (`model.save_weights("x.h5")`): keras/src/legacy/saving/legacy_h5_format.py
  (`save_weights_to_hdf5_group`): root attributes `layer_names`, `backend`, `keras_version`; per layer a group with
  attribute `weight_names` (`conv2d/kernel:0`, ...) and one dataset per weight name.
"""
import json, os, sys, zipfile
import numpy as np
import h5py

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)

# the simple MNIST convnet (docs/examples/mnist_convnet.json): conv2d 3x3x1x32, conv2d_1 3x3x32x64, dense 1600x10
conv = {"conv2d": [rng.normal(0, 0.3, (3, 3, 1, 32)), rng.normal(0, 0.1, (32,))],
        "conv2d_1": [rng.normal(0, 0.08, (3, 3, 32, 64)), rng.normal(0, 0.1, (64,))],
        "dense": [rng.normal(0, 0.05, (1600, 10)), rng.normal(0, 0.1, (10,))]}
conv = {k: [w.astype(np.float32) for w in v] for k, v in conv.items()}

def keras3(path, weights, order):
    with h5py.File(path, "w") as f:
        layers = f.create_group("layers")
        for name in order:
            g = layers.create_group(name).create_group("vars")
            for i, w in enumerate(weights.get(name, [])):
                g.create_dataset(str(i), data=w)
        f.create_group("optimizer").create_group("vars")   # Keras 3 writes the optimizer's state too; import ignores it

order = ["input_layer", "conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "flatten", "dropout", "dense"]
keras3(os.path.join(out, "mnist_convnet.weights.h5"), conv, order)
with zipfile.ZipFile(os.path.join(out, "mnist_convnet.keras"), "w") as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2026-12-01@00:00:00"}))
    z.write("engine/src/test/resources/keras/mnist_convnet_keras3.json", "config.json")
    z.write(os.path.join(out, "mnist_convnet.weights.h5"), "model.weights.h5")

# numpy forward pass of the convnet (NHWC, Keras' valid convolution, 2x2 max pooling, NHWC flatten, softmax)
def conv2d(x, k, b):
    n, h, w, c = x.shape; kh, kw, _, f = k.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, f), np.float64)
    for y in range(kh):
        for xx in range(kw):
            out += np.einsum("nhwc,cf->nhwf", x[:, y:y + h - kh + 1, xx:xx + w - kw + 1, :], k[y, xx])
    return np.maximum(out + b, 0)

def pool(x):
    n, h, w, c = x.shape
    x = x[:, :h // 2 * 2, :w // 2 * 2, :]
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))

x = rng.random((3, 28, 28, 1)).astype(np.float32)
a = pool(conv2d(x.astype(np.float64), *conv["conv2d"]))
a = pool(conv2d(a, *conv["conv2d_1"]))
z = a.reshape(3, -1) @ conv["dense"][0] + conv["dense"][1]
p = np.exp(z - z.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
json.dump({"made_by": "benchmarks/keras/make_weights_fixtures.py (numpy forward pass)", "x_nhwc": x.reshape(-1).tolist(),
           "probabilities": p.reshape(-1).tolist()}, open(os.path.join(out, "mnist_convnet_expected.json"), "w"))

# tf.keras 2 legacy HDF5 for bn_gap_tfkeras2.json (conv2d 3x3x1x16 same, bn 16, conv2d_1 3x3x16x32, bn 32, dense 32x10)
bn = lambda c: [(1 + 0.1 * rng.normal(size=c)).astype(np.float32), (0.1 * rng.normal(size=c)).astype(np.float32),
                (0.2 * rng.normal(size=c)).astype(np.float32), (0.5 + rng.random(c)).astype(np.float32)]
tf2 = {"conv2d": [rng.normal(0, 0.3, (3, 3, 1, 16)).astype(np.float32), np.zeros(16, np.float32) + 0.01],
       "batch_normalization": bn(16),
       "conv2d_1": [rng.normal(0, 0.1, (3, 3, 16, 32)).astype(np.float32), np.zeros(32, np.float32) - 0.01],
       "batch_normalization_1": bn(32),
       "dense": [rng.normal(0, 0.2, (32, 10)).astype(np.float32), np.zeros(10, np.float32)]}
names = {"conv2d": ["kernel:0", "bias:0"], "dense": ["kernel:0", "bias:0"], "conv2d_1": ["kernel:0", "bias:0"],
         "batch_normalization": ["gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"],
         "batch_normalization_1": ["gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"]}
tf2_order = ["conv2d", "batch_normalization", "activation", "max_pooling2d", "conv2d_1", "batch_normalization_1", "re_lu",
             "global_average_pooling2d", "dropout", "dense"]
with h5py.File(os.path.join(out, "bn_gap_tfkeras2.h5"), "w") as f:
    f.attrs["layer_names"] = np.array([n.encode() for n in tf2_order])
    f.attrs["backend"] = b"tensorflow"
    f.attrs["keras_version"] = b"2.15.0"
    for n in tf2_order:
        g = f.create_group(n)
        wn = [f"{n}/{w}".encode() for w in names.get(n, [])]
        g.attrs["weight_names"] = np.array(wn, dtype="S") if wn else np.array([], dtype="S1")
        for w, arr in zip(names.get(n, []), tf2.get(n, [])):
            g.create_dataset(f"{n}/{w}", data=arr)
json.dump({k: [w.reshape(-1).tolist() for w in v] for k, v in tf2.items()}, open(os.path.join(out, "bn_gap_tfkeras2_values.json"), "w"))
print("wrote", sorted(os.listdir(out)))
