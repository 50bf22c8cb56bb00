package dev.panamacnn.gpu.kernels;

/**
 * The element-wise layers, one work-item per element. {@code mode} 0: activation {@code act} ({@link Act}; its
 * derivative from the output), 1: Keras' ReLU layer ({@code maxValue} when {@code hasMax}, {@code slope}, {@code threshold};
 * its derivative from the input), 2: Rescaling ({@code scale}, {@code offset}), 3: swish {@code x sigmoid(x)} (its
 * derivative from the input). {@code backward == 0}: {@code y = f(x)}; else {@code dx = dy f'}.
 */
public final class Elementwise extends NetKernel {
    public float[] x, y, dy, dx;
    public int count, mode, act, hasMax, backward;
    public float maxValue, slope, threshold, scale, offset;

    @Override public void run() {
        int i = getGlobalId();
        if (i < count) {
            if (backward == 0) {
                float v = x[i];
                float r = v;
                if (mode == 0) {
                    r = activate(v, act);
                } else if (mode == 1) {
                    if (hasMax != 0 && v >= maxValue) {
                        r = maxValue;
                    } else if (v >= threshold) {
                        r = v;
                    } else {
                        r = slope * (v - threshold);
                    }
                } else if (mode == 2) {
                    r = v * scale + offset;
                } else {
                    r = v / (1f + exp(-v));
                }
                y[i] = r;
            } else {
                float d = 1f;
                if (mode == 0) {
                    d = derivative(y[i], act);
                } else if (mode == 1) {
                    float v = x[i];
                    if (hasMax != 0 && v >= maxValue) {
                        d = 0f;
                    } else if (v >= threshold) {
                        d = 1f;
                    } else {
                        d = slope;
                    }
                } else if (mode == 2) {
                    d = scale;
                } else {
                    float v = x[i];
                    float s = 1f / (1f + exp(-v));
                    d = s + v * s * (1f - s);
                }
                dx[i] = dy[i] * d;
            }
        }
    }
}
