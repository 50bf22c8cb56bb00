#!/usr/bin/env python3
"""Makes the PyTorch cross-check fixture of the Keras layers (engine/src/test/resources/fixtures/pytorch/keras_layers.json).

Usage: /usr/bin/python3 benchmarks/pytorch/crosscheck_keras_layers.py OUT.json

The network, in Keras terms (NHWC), and the same in PyTorch (NCHW, weights converted):
  Input(8, 8, 2) > Conv2D(4, 3x3, padding="same", relu) > BatchNormalization > Dropout(0.0)
  > Conv2D(6, 3x3, strides 2, padding="same", use_bias=False) > BatchNormalization > Activation(relu)
  > GlobalAveragePooling2D > Dense(3, softmax); categorical cross-entropy; AdamW(lr 0.01, weight_decay 0.1, eps 1e-10).
Keras' "same" padding is TensorFlow's (the extra row/column at the bottom/right), applied here with F.pad.
Dropout has rate 0 (the masks cannot come from the same source). The second convolution has no bias, as usual before a
BatchNormalization: that bias's gradient is zero up to rounding, and Adam would turn the rounding noise into full steps. Weights are drawn here and written in panama-cnn's
parameter order (Keras' shapes: conv kernels (kh, kw, cin, cout), dense kernel (in, out); BatchNormalization gamma,
beta, moving_mean, moving_variance). The fixture holds the inputs, targets and weights, and what PyTorch computes:
the training-mode loss, every gradient (in Keras' layout), the weights after one AdamW step, and the inference
probabilities after it. PyTorch's BatchNorm updates running_var with the unbiased variance and momentum 0.01 where Keras
uses the biased one and 0.99; the moving statistics are set here to Keras' rule before the inference pass.
Adam's epsilon: PyTorch adds eps to sqrt(v_hat), Keras to sqrt(v) before the bias correction (a different scale); eps=1e-10
on both sides makes that difference smaller than float rounding (Keras' default 1e-7 moves small-gradient updates by up to 0.3%).
"""
import json, sys
import torch
import torch.nn.functional as F

torch.manual_seed(0)
N, H, W, C = 4, 8, 8, 2
x = torch.randn(N, H, W, C)
labels = torch.tensor([0, 2, 1, 2])
y = F.one_hot(labels, 3).float()


def same_pad(t, k, s):
    """TensorFlow's 'same' padding of an NCHW tensor for a k x k window and stride s."""
    h, w = t.shape[2], t.shape[3]
    def total(n):
        out = (n + s - 1) // s
        return max((out - 1) * s + k - n, 0)
    th, tw = total(h), total(w)
    return F.pad(t, (tw // 2, tw - tw // 2, th // 2, th - th // 2))


shapes = [("conv1/kernel", (3, 3, 2, 4)), ("conv1/bias", (4,)),
          ("bn1/gamma", (4,)), ("bn1/beta", (4,)), ("bn1/moving_mean", (4,)), ("bn1/moving_variance", (4,)),
          ("conv2/kernel", (3, 3, 4, 6)),
          ("bn2/gamma", (6,)), ("bn2/beta", (6,)), ("bn2/moving_mean", (6,)), ("bn2/moving_variance", (6,)),
          ("dense/kernel", (6, 3)), ("dense/bias", (3,))]
p = {}
for name, shape in shapes:
    if name.endswith("moving_mean"):
        v = torch.zeros(shape)
    elif name.endswith("moving_variance"):
        v = torch.ones(shape)
    elif name.endswith("gamma"):
        v = 1 + 0.2 * torch.randn(shape)
    else:
        v = 0.4 * torch.randn(shape)
    p[name] = v.clone().requires_grad_(not name.split("/")[1].startswith("moving"))


def forward(params, training):
    t = x.permute(0, 3, 1, 2)   # NHWC -> NCHW
    t = F.conv2d(same_pad(t, 3, 1), params["conv1/kernel"].permute(3, 2, 0, 1), params["conv1/bias"])
    t = F.relu(t)
    rm1, rv1 = params["bn1/moving_mean"].detach().clone(), params["bn1/moving_variance"].detach().clone()
    t = F.batch_norm(t, rm1, rv1, params["bn1/gamma"], params["bn1/beta"], training, 0.01, 1e-3)
    t = F.conv2d(same_pad(t, 3, 2), params["conv2/kernel"].permute(3, 2, 0, 1), None, stride=2)
    rm2, rv2 = params["bn2/moving_mean"].detach().clone(), params["bn2/moving_variance"].detach().clone()
    t = F.batch_norm(t, rm2, rv2, params["bn2/gamma"], params["bn2/beta"], training, 0.01, 1e-3)
    t = F.relu(t)
    bn_inputs = None
    t = t.mean(dim=(2, 3))
    return t @ params["dense/kernel"] + params["dense/bias"]


# the batch statistics Keras' moving averages take (biased variance), for the inputs of both normalizations
def bn_batch_stats(params):
    with torch.no_grad():
        t = x.permute(0, 3, 1, 2)
        a = F.relu(F.conv2d(same_pad(t, 3, 1), params["conv1/kernel"].permute(3, 2, 0, 1), params["conv1/bias"]))
        m1, v1 = a.mean(dim=(0, 2, 3)), a.var(dim=(0, 2, 3), unbiased=False)
        a = F.batch_norm(a, None, None, params["bn1/gamma"], params["bn1/beta"], True, 0.0, 1e-3)
        b = F.conv2d(same_pad(a, 3, 2), params["conv2/kernel"].permute(3, 2, 0, 1), None, stride=2)
        m2, v2 = b.mean(dim=(0, 2, 3)), b.var(dim=(0, 2, 3), unbiased=False)
    return m1, v1, m2, v2


logits = forward(p, True)
loss = F.cross_entropy(logits, labels)
loss.backward()
grads = {k: (v.grad.clone() if v.grad is not None else torch.zeros_like(v)) for k, v in p.items()}
m1, v1, m2, v2 = bn_batch_stats(p)

trainable = [v for k, v in p.items() if v.requires_grad]
opt = torch.optim.AdamW(trainable, lr=0.01, betas=(0.9, 0.999), eps=1e-10, weight_decay=0.1)
before = {k: v.detach().clone() for k, v in p.items()}
opt.step()
after = {k: v.detach().clone() for k, v in p.items()}
after["bn1/moving_mean"] = 0.99 * before["bn1/moving_mean"] + 0.01 * m1
after["bn1/moving_variance"] = 0.99 * before["bn1/moving_variance"] + 0.01 * v1
after["bn2/moving_mean"] = 0.99 * before["bn2/moving_mean"] + 0.01 * m2
after["bn2/moving_variance"] = 0.99 * before["bn2/moving_variance"] + 0.01 * v2
with torch.no_grad():
    probs = F.softmax(forward(after, False), dim=1)


def flat(d):
    return [float(f) for name, _ in shapes for f in d[name].detach().reshape(-1).tolist()]


json.dump({"made_by": "benchmarks/pytorch/crosscheck_keras_layers.py, torch " + torch.__version__,
           "x_nhwc": [float(f) for f in x.reshape(-1).tolist()], "y": [float(f) for f in y.reshape(-1).tolist()],
           "params": flat(before), "loss": float(loss), "grads": flat(grads), "params_after_adamw": flat(after),
           "inference_probabilities_after": [float(f) for f in probs.reshape(-1).tolist()]},
          open(sys.argv[1], "w"))
print("wrote", sys.argv[1], "loss", float(loss))
