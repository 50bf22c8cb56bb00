package dev.panamacnn.gpu.kernels;

/**
 * Gradients of a convolution's kernel and bias. Work-items {@code [0, kh*kw*c*f)} each own one weight
 * {@code (ky, kx, ci, co)} and sum {@code in[s, oy*sh+ky, ox*sw+kx, ci] * dOut[s, oy, ox, co]} over the batch; the next
 * {@code f} work-items sum the bias gradient. Each sum runs in one fixed order, so results are deterministic.
 */
public final class Conv2DBackwardParams extends NetKernel {
    public float[] in, dOut, grads;
    public int n, h, w, c, kh, kw, sh, sw, oh, ow, f, kOff, bOff;

    @Override public void run() {
        int gid = getGlobalId();
        int weights = kh * kw * c * f;
        if (gid < weights) {
            int co = gid % f;
            int r = gid / f;
            int ci = r % c;
            r = r / c;
            int kx = r % kw;
            int ky = r / kw;
            float acc = 0f;
            for (int s = 0; s < n; s++) {
                for (int oy = 0; oy < oh; oy++) {
                    int ib = ((s * h + oy * sh + ky) * w + kx) * c + ci;
                    int ob = ((s * oh + oy) * ow) * f + co;
                    for (int ox = 0; ox < ow; ox++) {
                        acc += in[ib + ox * sw * c] * dOut[ob + ox * f];
                    }
                }
            }
            grads[kOff + gid] = acc;
        } else if (gid < weights + f) {
            int co = gid - weights;
            float acc = 0f;
            int rows = n * oh * ow;
            for (int i = 0; i < rows; i++) {
                acc += dOut[i * f + co];
            }
            grads[bOff + co] = acc;
        }
    }
}
