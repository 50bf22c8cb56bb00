package dev.panamacnn.tornado.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Every kernel of the TornadoVM backend: plain Java static methods whose {@code @Parallel} loops TornadoVM compiles to
 * OpenCL C or PTX at run time. Each is the device twin of a CPU op and computes the same sums in the same order per
 * output element (so results agree to float rounding; reductions are ordered, never atomic).
 *
 * <p>Conventions. Loop bounds are a fixed capacity (the work size is set when the graph is compiled); the batch size
 * of the current call is {@code meta[0]} and every work-item past it does nothing. {@code meta[1]} is 1 on a training
 * step, {@code meta[2]} is 1 when the batch has labels. Layouts are the CPU engine's: NHWC activations, kernels
 * {@code (kh, kw, cin, filters)} and {@code (in, units)}, each layer's kernel then bias in the one parameter array.
 * Activation codes: 0 linear, 1 ReLU, 2 sigmoid, 3 tanh.
 */
public final class Kernels {
    private Kernels() {}

    public static final int LINEAR = 0, RELU = 1, SIGMOID = 2, TANH = 3;

    static float activate(float v, int act) {
        float r = v;
        if (act == RELU) {
            r = v > 0f ? v : 0f;
        } else if (act == SIGMOID) {
            r = 1f / (1f + TornadoMath.exp(-v));
        } else if (act == TANH) {
            r = TornadoMath.tanh(v);
        }
        return r;
    }

    /** The activation's derivative, from its output {@code y}. */
    static float derivative(float y, int act) {
        float r = 1f;
        if (act == RELU) {
            r = y > 0f ? 1f : 0f;
        } else if (act == SIGMOID) {
            r = y * (1f - y);
        } else if (act == TANH) {
            r = 1f - y * y;
        }
        return r;
    }

    // ---------------------------------------------------------------- Conv2D

    /**
     * {@code out[r, j] = act(b[j] + sum over (ky, kx, ci) of in[s, oy*sh+ky, ox*sw+kx, ci] * W[ky, kx, ci, j])} for output row
     * {@code r = (s*oh + oy)*ow + ox}; the sum runs in the im2col column order of the CPU's GEMM.
     */
    public static void convForward(FloatArray in, FloatArray params, FloatArray out, IntArray meta, int h, int w, int c, int kh, int kw,
                                   int sh, int sw, int oh, int ow, int f, int kOff, int bOff, int act, int rows) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int j = 0; j < f; j++) {
                if (r < meta.get(0) * oh * ow) {
                    int s = r / (oh * ow);
                    int rem = r - s * oh * ow;
                    int oy = rem / ow;
                    int ox = rem - oy * ow;
                    float acc = 0f;
                    for (int ky = 0; ky < kh; ky++) {
                        for (int kx = 0; kx < kw; kx++) {
                            int base = ((s * h + oy * sh + ky) * w + ox * sw + kx) * c;
                            int wb = kOff + ((ky * kw + kx) * c) * f + j;
                            for (int ci = 0; ci < c; ci++) {
                                acc += in.get(base + ci) * params.get(wb + ci * f);
                            }
                        }
                    }
                    out.set(r * f + j, activate(acc + params.get(bOff + j), act));
                }
            }
        }
    }

    /**
     * The weight and bias gradients of a convolution, first pass: per slice of {@code slice} output rows, the partial
     * sums {@code partial[sl, k, j] = sum over rows r in the slice of col(r, k) * dOut[r, j]} (for {@code k == K}, the
     * bias: {@code sum of dOut[r, j]}), rows in order. {@link #sumSlices} adds the slices in order.
     */
    public static void convWeightPartials(FloatArray in, FloatArray dOut, FloatArray partial, IntArray meta, int h, int w, int c, int kh, int kw,
                                          int sh, int sw, int oh, int ow, int f, int slice, int maxSlices) {
        int kk = kh * kw * c;
        for (@Parallel int sl = 0; sl < maxSlices; sl++) {
            for (@Parallel int k = 0; k < kk + 1; k++) {
                for (@Parallel int j = 0; j < f; j++) {
                    if (meta.get(1) == 1) {
                        int rows = meta.get(0) * oh * ow;
                        int r0 = sl * slice;
                        int r1 = r0 + slice;
                        if (r1 > rows) {
                            r1 = rows;
                        }
                        int ky = k / (kw * c);
                        int rem = k - ky * kw * c;
                        int kx = rem / c;
                        int ci = rem - kx * c;
                        float acc = 0f;
                        for (int r = r0; r < r1; r++) {
                            float a = 1f;
                            if (k < kk) {
                                int s = r / (oh * ow);
                                int rr = r - s * oh * ow;
                                int oy = rr / ow;
                                int ox = rr - oy * ow;
                                a = in.get(((s * h + oy * sh + ky) * w + ox * sw + kx) * c + ci);
                            }
                            acc += a * dOut.get(r * f + j);
                        }
                        partial.set((sl * (kk + 1) + k) * f + j, acc);
                    }
                }
            }
        }
    }

    /** {@code grads[off + i] = sum over the used slices, in order, of partial[sl, i]}. */
    public static void sumSlices(FloatArray partial, FloatArray grads, IntArray meta, int count, int off, int rowsPerSample, int slice) {
        for (@Parallel int i = 0; i < count; i++) {
            if (meta.get(1) == 1) {
                int slices = (meta.get(0) * rowsPerSample + slice - 1) / slice;
                float s = 0f;
                for (int sl = 0; sl < slices; sl++) {
                    s += partial.get(sl * count + i);
                }
                grads.set(off + i, s);
            }
        }
    }

    /**
     * The input gradient of a convolution, gathered: {@code dIn[s, y, x, ci] = sum over (ky, kx, j) of dOut[s, oy, ox, j] *
     * W[ky, kx, ci, j]} over the outputs {@code (oy, ox)} whose window covers {@code (y, x)} at tap {@code (ky, kx)}.
     */
    public static void convInputGradient(FloatArray dOut, FloatArray params, FloatArray dIn, IntArray meta, int h, int w, int c, int kh, int kw,
                                         int sh, int sw, int oh, int ow, int f, int kOff, int total) {
        for (@Parallel int i = 0; i < total; i++) {
            if (meta.get(1) == 1 && i < meta.get(0) * h * w * c) {
                int s = i / (h * w * c);
                int rem = i - s * h * w * c;
                int y = rem / (w * c);
                int rem2 = rem - y * w * c;
                int x = rem2 / c;
                int ci = rem2 - x * c;
                float acc = 0f;
                for (int ky = 0; ky < kh; ky++) {
                    int ty = y - ky;
                    if (ty >= 0 && ty % sh == 0 && ty / sh < oh) {
                        int oy = ty / sh;
                        for (int kx = 0; kx < kw; kx++) {
                            int tx = x - kx;
                            if (tx >= 0 && tx % sw == 0 && tx / sw < ow) {
                                int ox = tx / sw;
                                int ob = ((s * oh + oy) * ow + ox) * f;
                                int wb = kOff + ((ky * kw + kx) * c + ci) * f;
                                for (int j = 0; j < f; j++) {
                                    acc += dOut.get(ob + j) * params.get(wb + j);
                                }
                            }
                        }
                    }
                }
                dIn.set(i, acc);
            }
        }
    }

    /** {@code d[i] *= act'(y[i])} for the first {@code meta[0] * perSample} elements, on a training step. */
    public static void activationBackward(FloatArray y, FloatArray d, IntArray meta, int act, int perSample, int total) {
        for (@Parallel int i = 0; i < total; i++) {
            if (meta.get(1) == 1 && i < meta.get(0) * perSample) {
                d.set(i, d.get(i) * derivative(y.get(i), act));
            }
        }
    }

    // ---------------------------------------------------------------- Dropout

    /**
     * Inverted dropout: {@code dst = src / (1 - rate)} where {@code runtime.CounterRng} keyed by (seed, step = meta[3],
     * sample, element) keeps the element, else 0; a copy when the step does not train. {@code gradient == 1}: the
     * backward pass (output gradient to input gradient), which runs only on training steps.
     */
    public static void dropout(FloatArray src, FloatArray dst, IntArray meta, int perSample, int seed, int threshold, float scale,
                               int gradient, int total) {
        for (@Parallel int i = 0; i < total; i++) {
            if (i < meta.get(0) * perSample && (gradient == 0 || meta.get(1) == 1)) {
                float v = src.get(i);
                if (meta.get(1) == 1 && threshold > 0) {
                    int smp = i / perSample;
                    int e = i - smp * perSample;
                    if (!dev.panamacnn.runtime.CounterRng.keep(seed, meta.get(3), smp, e, threshold)) {
                        v = 0f;
                    } else {
                        v = v * scale;
                    }
                }
                dst.set(i, v);
            }
        }
    }

    // ---------------------------------------------------------------- MaxPooling2D

    /** Max over each window (the first maximum in window order wins); {@code argmax} keeps the winner's index within its sample. */
    public static void maxPoolForward(FloatArray in, FloatArray out, IntArray argmax, IntArray meta, int h, int w, int c, int ph, int pw,
                                      int sh, int sw, int oh, int ow, int total) {
        for (@Parallel int i = 0; i < total; i++) {
            if (i < meta.get(0) * oh * ow * c) {
                int s = i / (oh * ow * c);
                int rem = i - s * oh * ow * c;
                int oy = rem / (ow * c);
                int rem2 = rem - oy * ow * c;
                int ox = rem2 / c;
                int ch = rem2 - ox * c;
                int best = ((oy * sh) * w + ox * sw) * c + ch;
                float bv = in.get(s * h * w * c + best);
                for (int ky = 0; ky < ph; ky++) {
                    for (int kx = 0; kx < pw; kx++) {
                        int idx = ((oy * sh + ky) * w + ox * sw + kx) * c + ch;
                        float v = in.get(s * h * w * c + idx);
                        if (v > bv) {
                            bv = v;
                            best = idx;
                        }
                    }
                }
                out.set(i, bv);
                argmax.set(i, best);
            }
        }
    }

    /** {@code dIn[s, y, x, ch]} = the sum, over the windows that chose it (in output order), of their output gradients. */
    public static void maxPoolBackward(FloatArray dOut, FloatArray dIn, IntArray argmax, IntArray meta, int h, int w, int c, int ph, int pw,
                                       int sh, int sw, int oh, int ow, int total) {
        for (@Parallel int i = 0; i < total; i++) {
            if (meta.get(1) == 1 && i < meta.get(0) * h * w * c) {
                int s = i / (h * w * c);
                int idx = i - s * h * w * c;
                int y = idx / (w * c);
                int rem = idx - y * w * c;
                int x = rem / c;
                int ch = rem - x * c;
                float acc = 0f;
                for (int oy = 0; oy < oh; oy++) {
                    if (y >= oy * sh && y < oy * sh + ph) {
                        for (int ox = 0; ox < ow; ox++) {
                            if (x >= ox * sw && x < ox * sw + pw) {
                                int o = ((s * oh + oy) * ow + ox) * c + ch;
                                if (argmax.get(o) == idx) {
                                    acc += dOut.get(o);
                                }
                            }
                        }
                    }
                }
                dIn.set(i, acc);
            }
        }
    }

    // ---------------------------------------------------------------- Dense

    /** {@code out[r, u] = act(b[u] + sum over i of x[r, i] * W[i, u])}. */
    public static void denseForward(FloatArray x, FloatArray params, FloatArray out, IntArray meta, int in, int units, int kOff, int bOff,
                                    int act, int capacity) {
        for (@Parallel int r = 0; r < capacity; r++) {
            for (@Parallel int u = 0; u < units; u++) {
                if (r < meta.get(0)) {
                    float acc = 0f;
                    for (int i = 0; i < in; i++) {
                        acc += x.get(r * in + i) * params.get(kOff + i * units + u);
                    }
                    out.set(r * units + u, activate(acc + params.get(bOff + u), act));
                }
            }
        }
    }

    /** {@code dW[i, u] = sum over rows r of x[r, i] * dOut[r, u]} and {@code db[u] = sum over r of dOut[r, u]} (row {@code i == in}). */
    public static void denseWeightGradient(FloatArray x, FloatArray dOut, FloatArray grads, IntArray meta, int in, int units, int kOff) {
        for (@Parallel int i = 0; i < in + 1; i++) {
            for (@Parallel int u = 0; u < units; u++) {
                if (meta.get(1) == 1) {
                    float acc = 0f;
                    for (int r = 0; r < meta.get(0); r++) {
                        float a = i < in ? x.get(r * in + i) : 1f;
                        acc += a * dOut.get(r * units + u);
                    }
                    grads.set(kOff + i * units + u, acc);
                }
            }
        }
    }

    /** {@code dX[r, i] = sum over u of dOut[r, u] * W[i, u]}. */
    public static void denseInputGradient(FloatArray dOut, FloatArray params, FloatArray dX, IntArray meta, int in, int units, int kOff, int capacity) {
        for (@Parallel int r = 0; r < capacity; r++) {
            for (@Parallel int i = 0; i < in; i++) {
                if (meta.get(1) == 1 && r < meta.get(0)) {
                    float acc = 0f;
                    for (int u = 0; u < units; u++) {
                        acc += dOut.get(r * units + u) * params.get(kOff + i * units + u);
                    }
                    dX.set(r * in + i, acc);
                }
            }
        }
    }

    // ---------------------------------------------------------------- loss

    /**
     * Softmax of each row of logits {@code z} in place, the row's categorical cross-entropy against {@code y}
     * (probabilities clipped to {@code [1e-7, 1 - 1e-7]}, as Keras does), whether its arg-max matches the label's, and on a
     * training step the gradient w.r.t. the logits {@code dz = (p - y) / n}.
     */
    public static void softmaxCrossEntropy(FloatArray z, FloatArray y, FloatArray dz, FloatArray rowLoss, FloatArray rowCorrect, IntArray meta,
                                           int classes, int capacity) {
        for (@Parallel int s = 0; s < capacity; s++) {
            int n = meta.get(0);
            if (s < n) {
                int o = s * classes;
                float mx = z.get(o);
                for (int j = 1; j < classes; j++) {
                    mx = TornadoMath.max(mx, z.get(o + j));
                }
                float sum = 0f;
                for (int j = 0; j < classes; j++) {
                    float e = TornadoMath.exp(z.get(o + j) - mx);
                    z.set(o + j, e);
                    sum += e;
                }
                float inv = 1f / sum;
                int bestP = 0;
                float bp = -1f;
                for (int j = 0; j < classes; j++) {
                    float p = z.get(o + j) * inv;
                    z.set(o + j, p);
                    if (p > bp) {
                        bp = p;
                        bestP = j;
                    }
                }
                if (meta.get(2) == 1) {
                    float loss = 0f;
                    int bestY = 0;
                    float by = y.get(o);
                    for (int j = 0; j < classes; j++) {
                        float t = y.get(o + j);
                        if (t != 0f) {
                            float q = TornadoMath.min(TornadoMath.max(z.get(o + j), 1e-7f), 1f - 1e-7f);
                            loss -= t * TornadoMath.log(q);
                        }
                        if (t > by) {
                            by = t;
                            bestY = j;
                        }
                    }
                    rowLoss.set(s, loss);
                    rowCorrect.set(s, bestP == bestY ? 1f : 0f);
                    if (meta.get(1) == 1) {
                        float scale = 1f / n;
                        for (int j = 0; j < classes; j++) {
                            dz.set(o + j, (z.get(o + j) - y.get(o + j)) * scale);
                        }
                    }
                }
            }
        }
    }

    /** One work-item: the loss sum and correct count over rows {@code [0, n)} in order; clears the non-finite flag. */
    public static void reduceScalars(FloatArray rowLoss, FloatArray rowCorrect, FloatArray scalars, IntArray meta) {
        float loss = 0f;
        float correct = 0f;
        if (meta.get(2) == 1) {
            for (int s = 0; s < meta.get(0); s++) {
                loss += rowLoss.get(s);
                correct += rowCorrect.get(s);
            }
        }
        scalars.set(0, loss);
        scalars.set(1, correct);
        scalars.set(2, 0f);
    }

    // ---------------------------------------------------------------- optimizers

    /**
     * Adam as Keras implements it, on a training step: {@code m = b1 m + (1 - b1) g}, {@code v = b2 v + (1 - b2) g^2},
     * {@code p -= lrT m / (sqrt(v) + eps)} with {@code lrT = hyper[0]}; a non-finite gradient or parameter sets
     * {@code scalars[2]}.
     */
    public static void adam(FloatArray p, FloatArray g, FloatArray m, FloatArray v, FloatArray hyper, FloatArray scalars, IntArray meta,
                            float b1, float b2, float eps, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            if (meta.get(1) == 1) {
                float gv = g.get(i);
                float mv = m.get(i) * b1 + gv * (1f - b1);
                float vv = v.get(i) * b2 + gv * gv * (1f - b2);
                m.set(i, mv);
                v.set(i, vv);
                float np = p.get(i) - mv * hyper.get(0) / (TornadoMath.sqrt(vv) + eps);
                p.set(i, np);
                if (gv - gv != 0f || np - np != 0f) {
                    scalars.set(2, 1f);
                }
            }
        }
    }

    /** SGD with momentum as Keras: {@code vel = momentum vel - lr g}, {@code p += vel}; the same non-finite flag. */
    public static void sgd(FloatArray p, FloatArray g, FloatArray vel, FloatArray scalars, IntArray meta, float lr, float momentum, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            if (meta.get(1) == 1) {
                float gv = g.get(i);
                float vv = momentum * vel.get(i) - lr * gv;
                vel.set(i, vv);
                float np = p.get(i) + vv;
                p.set(i, np);
                if (gv - gv != 0f || np - np != 0f) {
                    scalars.set(2, 1f);
                }
            }
        }
    }
}
