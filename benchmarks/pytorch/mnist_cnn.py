#!/usr/bin/env python3
"""The Keras tutorial's CNN in PyTorch, on the same MNIST IDX files: the speed and accuracy reference.

Usage: /usr/bin/python3 benchmarks/pytorch/mnist_cnn.py [--data-dir DIR] [--epochs N] [--threads T] [--limit N] [--device cuda]
Prints one line per epoch (seconds, loss, accuracy) and the test accuracy. Uses whatever BLAS torch is linked
to: on Debian install libopenblas0-openmp so it is OpenBLAS, not the reference BLAS (about 6x slower).
"""
import argparse, gzip, os, struct, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 8, path
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def find(d, name):
    for n in (name, name + ".gz"):
        if os.path.exists(os.path.join(d, n)):
            return os.path.join(d, n)
    raise SystemExit(f"{name} not found in {d}")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 5)
        self.c2 = nn.Conv2d(32, 64, 5)
        self.d1 = nn.Linear(4 * 4 * 64, 1000)
        self.d2 = nn.Linear(1000, 10)
        for m in (self.c1, self.c2, self.d1, self.d2):   # Keras defaults: Glorot-uniform, zero bias
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.relu(self.d1(torch.flatten(x, 1)))
        return self.d2(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=os.path.expanduser("~/.cache/panama-cnn/mnist"))
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (a GPU: the reference for the OpenCL backend)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xtr = torch.tensor(read_idx(find(a.data_dir, "train-images-idx3-ubyte")), dtype=torch.float32).unsqueeze(1) / 255
    ytr = torch.tensor(read_idx(find(a.data_dir, "train-labels-idx1-ubyte")), dtype=torch.long)
    xte = torch.tensor(read_idx(find(a.data_dir, "t10k-images-idx3-ubyte")), dtype=torch.float32).unsqueeze(1) / 255
    yte = torch.tensor(read_idx(find(a.data_dir, "t10k-labels-idx1-ubyte")), dtype=torch.long)
    if a.limit:
        xtr, ytr = xtr[:a.limit], ytr[:a.limit]
    dev = torch.device(a.device)
    xtr, ytr, xte, yte = xtr.to(dev), ytr.to(dev), xte.to(dev), yte.to(dev)
    model = Net().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    if dev.type == "cuda":
        print(f"device: {torch.cuda.get_device_name(dev)}")
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, BLAS: "
          f"{'OpenBLAS' if 'openblas' in torch.__config__.show().lower() else 'see torch.__config__.show()'}")
    n = len(xtr)
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, device=dev)
        model.train()
        tot_loss, correct = 0.0, 0
        for i in range(0, n, a.batch_size):
            idx = perm[i:i + a.batch_size]
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad()
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            opt.step()
            tot_loss += loss.item() * len(idx)
            correct += (out.argmax(1) == yb).sum().item()
        dt = time.perf_counter() - t0
        print(f"epoch {epoch + 1}/{a.epochs}: {dt:.1f}s loss {tot_loss / n:.4f} accuracy {correct / n:.4f}", flush=True)
    model.eval()
    with torch.no_grad():
        out = torch.cat([model(xte[i:i + 1000]) for i in range(0, len(xte), 1000)])
        acc = (out.argmax(1) == yte).float().mean().item()
    print(f"Test accuracy: {acc:.4f}")


if __name__ == "__main__":
    main()
