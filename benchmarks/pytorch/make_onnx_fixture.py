#!/usr/bin/env python3
"""Makes the PyTorch ONNX import fixture (engine/src/test/resources/fixtures/pytorch/mnist_cnn.onnx and
mnist_cnn_expected.json): a small CNN trained here in PyTorch on MNIST, exported with torch.onnx.export, and
PyTorch's probabilities on 50 test digits.

Usage: /usr/bin/python3 benchmarks/pytorch/make_onnx_fixture.py [--data-dir DIR] OUT_DIR
Network (NCHW, PyTorch's defaults): Conv2d(1, 8, 3, padding=1) > ReLU > MaxPool2d(2) > Conv2d(8, 16, 3) >
BatchNorm2d(16) > ReLU > MaxPool2d(2) > Flatten > Linear(576, 64) > ReLU > Dropout(0.2) > Linear(64, 10) (logits);
Adam, one pass over 12,000 training digits, batch 64. Exported in eval mode (dropout off, batch-norm running
statistics), opset 13, dynamic batch.
"""
import argparse, json, os, sys
import torch
import torch.nn as nn
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mnist_cnn import read_idx, find

ap = argparse.ArgumentParser()
ap.add_argument("--data-dir", default=os.path.expanduser("~/.cache/panama-cnn/mnist"))
ap.add_argument("out")
a = ap.parse_args()
torch.manual_seed(0)
torch.set_num_threads(2)
xtr = torch.tensor(read_idx(find(a.data_dir, "train-images-idx3-ubyte")), dtype=torch.float32).unsqueeze(1) / 255
ytr = torch.tensor(read_idx(find(a.data_dir, "train-labels-idx1-ubyte")), dtype=torch.long)
xte = read_idx(find(a.data_dir, "t10k-images-idx3-ubyte"))[:50]
net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.BatchNorm2d(16), nn.ReLU(),
                    nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 6 * 6, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
net.train()
for i in range(0, 12000, 64):
    opt.zero_grad()
    F.cross_entropy(net(xtr[i:i + 64]), ytr[i:i + 64]).backward()
    opt.step()
net.eval()
x = torch.tensor(xte, dtype=torch.float32).unsqueeze(1) / 255
with torch.no_grad():
    probs = F.softmax(net(x), dim=1)
os.makedirs(a.out, exist_ok=True)
torch.onnx.export(net, x[:1], os.path.join(a.out, "mnist_cnn.onnx"), input_names=["image"], output_names=["logits"],
                  dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}}, opset_version=13)
json.dump({"made_by": "benchmarks/pytorch/make_onnx_fixture.py, torch " + torch.__version__,
           "images_uint8": [[int(v) for v in img.reshape(-1)] for img in xte],
           "probabilities": [[float(v) for v in row] for row in probs]}, open(os.path.join(a.out, "mnist_cnn_expected.json"), "w"))
print("wrote", a.out, "classes", probs.argmax(1).tolist()[:10])
