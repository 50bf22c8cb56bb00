package dev.panamacnn.gpu.kernels;

/**
 * Direct convolution, NHWC input, kernel {@code (kh, kw, c, f)} at {@code params[kOff]}, bias at {@code params[bOff]},
 * "valid" padding, fused bias and activation. One work-item per output element {@code (s, oy, ox, co)}, the filter
 * index fastest, so neighbouring work-items read the same input pixel and consecutive weights.
 */
public final class Conv2DForward extends NetKernel {
    public float[] in, params, out;
    public int n, h, w, c, kh, kw, sh, sw, oh, ow, f, kOff, bOff, act;

    @Override public void run() {
        int gid = getGlobalId();
        if (gid < n * oh * ow * f) {
            int co = gid % f;
            int r = gid / f;
            int ox = r % ow;
            r = r / ow;
            int oy = r % oh;
            int s = r / oh;
            float acc = 0f;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    int ib = ((s * h + oy * sh + ky) * w + ox * sw + kx) * c;
                    int wb = kOff + (ky * kw + kx) * c * f + co;
                    for (int ci = 0; ci < c; ci++) {
                        acc += in[ib + ci] * params[wb + ci * f];
                    }
                }
            }
            out[gid] = activate(acc + params[bOff + co], act);
        }
    }
}
