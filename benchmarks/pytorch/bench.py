#!/usr/bin/env python3
"""PyTorch's half of benchmarks/compare.sh: the same network and measurements as dev.panamacnn.bench.Compare.

Usage: /usr/bin/python3 benchmarks/pytorch/bench.py DATA_DIR STEPS THREADS [MODEL]   (prints one JSON line)
MODEL: the tutorial network (default), or a path ending in mnist_convnet.json: the Keras "simple MNIST convnet"
(docs/examples/mnist_convnet.json), built here layer for layer (the JSON is not parsed).
"""
import json, sys, time
import torch
import torch.nn.functional as F
sys.path.insert(0, __file__.rsplit('/', 1)[0])
from mnist_cnn import Net, read_idx, find
import torch.nn as nn


class SimpleConvnet(nn.Module):
    """Keras' simple MNIST convnet: Conv2D 32 3x3 relu, MaxPool 2, Conv2D 64 3x3 relu, MaxPool 2, Flatten, Dropout 0.5, Dense 10."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3)
        self.c2 = nn.Conv2d(32, 64, 3)
        self.drop = nn.Dropout(0.5)
        self.d = nn.Linear(5 * 5 * 64, 10)
        for m in (self.c1, self.c2, self.d):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.d(self.drop(torch.flatten(x, 1)))


def main():
    data, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    xtr = torch.tensor(read_idx(find(data, "train-images-idx3-ubyte")), dtype=torch.float32).unsqueeze(1) / 255
    ytr = torch.tensor(read_idx(find(data, "train-labels-idx1-ubyte")), dtype=torch.long)
    xte = torch.tensor(read_idx(find(data, "t10k-images-idx3-ubyte")), dtype=torch.float32).unsqueeze(1) / 255
    model = SimpleConvnet() if len(sys.argv) > 4 and sys.argv[4].endswith("mnist_convnet.json") else Net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    batch, warm, per_epoch = 128, 30, len(xtr) // 128

    def step(i):
        s = (i % per_epoch) * batch
        opt.zero_grad()
        loss = F.cross_entropy(model(xtr[s:s + batch]), ytr[s:s + batch])
        loss.backward()
        opt.step()

    model.train()
    for i in range(warm):
        step(i)
    t0 = time.perf_counter()
    for i in range(steps):
        step(warm + i)
    train_s = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        for i in range(0, len(xte), 1000):
            model(xte[i:i + 1000])
        t0 = time.perf_counter()
        for _ in range(2):
            for i in range(0, len(xte), 1000):
                model(xte[i:i + 1000]).softmax(1)
        inf1000 = 2 * len(xte) / (time.perf_counter() - t0)
        for i in range(200):
            model(xte[i:i + 1]).softmax(1)
        t0 = time.perf_counter()
        for i in range(1000):
            model(xte[i:i + 1]).softmax(1)
        inf1 = 1000 / (time.perf_counter() - t0)
    rss = 0
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            rss = int(line.split()[1]) / 1024
    ips = steps * batch / train_s
    print(json.dumps({"impl": "pytorch " + torch.__version__, "threads": threads, "steps": steps,
                      "train_images_per_s": round(ips, 1), "epoch_s": round(60000 / ips, 2),
                      "infer_1000_images_per_s": round(inf1000, 1), "infer_1_images_per_s": round(inf1, 1),
                      "peak_rss_mb": round(rss, 1)}))


if __name__ == "__main__":
    main()
