package dev.panamacnn.ops;

/**
 * Plain scalar versions of every op, over heap arrays, with double accumulation: the reference that the fast
 * paths are tested against. Layouts are the engine's (NHWC, kernels (KH, KW, Cin, Cout), dense (in, out)).
 */
public final class Reference {
    private Reference() {}

    /** C = op(A) op(B) with op(A) m x k, op(B) k x n. */
    public static float[] gemm(boolean ta, boolean tb, int m, int n, int k, float[] a, float[] b) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                c[i * n + j] = (float) s;
            }
        }
        return c;
    }

    /** Valid convolution, stride (sh, sw), pre-activation output (N, OH, OW, F). */
    public static float[] conv2dForward(float[] x, int n, int h, int w, int c, float[] kernel, float[] bias,
                                        int kh, int kw, int f, int sh, int sw) {
        int oh = (h - kh) / sh + 1, ow = (w - kw) / sw + 1;
        float[] y = new float[n * oh * ow * f];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int o = 0; o < f; o++) {
                        double acc = bias[o];
                        for (int a = 0; a < kh; a++)
                            for (int b = 0; b < kw; b++)
                                for (int ch = 0; ch < c; ch++)
                                    acc += (double) x[((s * h + i * sh + a) * w + j * sw + b) * c + ch]
                                            * kernel[((a * kw + b) * c + ch) * f + o];
                        y[((s * oh + i) * ow + j) * f + o] = (float) acc;
                    }
        return y;
    }

    /** Gradients of a valid convolution given dY (w.r.t. the pre-activation): returns {dX, dKernel, dBias}. */
    public static float[][] conv2dBackward(float[] x, int n, int h, int w, int c, float[] kernel, int kh, int kw, int f,
                                           int sh, int sw, float[] dy) {
        int oh = (h - kh) / sh + 1, ow = (w - kw) / sw + 1;
        double[] dx = new double[x.length], dk = new double[kernel.length], db = new double[f];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int o = 0; o < f; o++) {
                        double g = dy[((s * oh + i) * ow + j) * f + o];
                        db[o] += g;
                        for (int a = 0; a < kh; a++)
                            for (int b = 0; b < kw; b++)
                                for (int ch = 0; ch < c; ch++) {
                                    int xi = ((s * h + i * sh + a) * w + j * sw + b) * c + ch;
                                    int ki = ((a * kw + b) * c + ch) * f + o;
                                    dk[ki] += g * x[xi];
                                    dx[xi] += g * kernel[ki];
                                }
                    }
        return new float[][] {toFloat(dx), toFloat(dk), toFloat(db)};
    }

    /** Max pooling forward (first maximum wins). */
    public static float[] maxPoolForward(float[] x, int n, int h, int w, int c, int ph, int pw, int sh, int sw) {
        int oh = (h - ph) / sh + 1, ow = (w - pw) / sw + 1;
        float[] y = new float[n * oh * ow * c];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int ch = 0; ch < c; ch++) {
                        float m = Float.NEGATIVE_INFINITY;
                        for (int a = 0; a < ph; a++)
                            for (int b = 0; b < pw; b++) m = Math.max(m, x[((s * h + i * sh + a) * w + j * sw + b) * c + ch]);
                        y[((s * oh + i) * ow + j) * c + ch] = m;
                    }
        return y;
    }

    /** Max pooling backward: each output gradient goes to the first maximum of its window. */
    public static float[] maxPoolBackward(float[] x, int n, int h, int w, int c, int ph, int pw, int sh, int sw, float[] dy) {
        int oh = (h - ph) / sh + 1, ow = (w - pw) / sw + 1;
        double[] dx = new double[x.length];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int ch = 0; ch < c; ch++) {
                        float m = Float.NEGATIVE_INFINITY;
                        int arg = -1;
                        for (int a = 0; a < ph; a++)
                            for (int b = 0; b < pw; b++) {
                                int xi = ((s * h + i * sh + a) * w + j * sw + b) * c + ch;
                                if (x[xi] > m) { m = x[xi]; arg = xi; }
                            }
                        dx[arg] += dy[((s * oh + i) * ow + j) * c + ch];
                    }
        return toFloat(dx);
    }

    /** Dense forward, pre-activation: y = x W + b. */
    public static float[] denseForward(float[] x, int n, int in, float[] kernel, float[] bias, int out) {
        float[] y = gemm(false, false, n, out, in, x, kernel);
        for (int r = 0; r < n; r++) for (int j = 0; j < out; j++) y[r * out + j] += bias[j];
        return y;
    }

    /** Dense backward given dY w.r.t. the pre-activation: {dX, dKernel, dBias}. */
    public static float[][] denseBackward(float[] x, int n, int in, float[] kernel, int out, float[] dy) {
        float[] dx = gemm(false, true, n, in, out, dy, kernel);
        float[] dk = gemm(true, false, in, out, n, x, dy);
        double[] db = new double[out];
        for (int r = 0; r < n; r++) for (int j = 0; j < out; j++) db[j] += dy[r * out + j];
        return new float[][] {dx, dk, toFloat(db)};
    }

    public static float relu(float v) { return v > 0 ? v : 0f; }

    /** Softmax of each row. */
    public static float[] softmax(float[] z, int n, int classes) {
        float[] p = new float[z.length];
        for (int r = 0; r < n; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < classes; j++) max = Math.max(max, z[r * classes + j]);
            for (int j = 0; j < classes; j++) sum += Math.exp(z[r * classes + j] - max);
            for (int j = 0; j < classes; j++) p[r * classes + j] = (float) (Math.exp(z[r * classes + j] - max) / sum);
        }
        return p;
    }

    /** One Keras Adam step on arrays, in place; t is the step number after increment (1 for the first). */
    public static void adam(float[] p, float[] g, float[] m, float[] v, long t, float lr, float b1, float b2, float eps) {
        double lrT = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
        for (int i = 0; i < p.length; i++) {
            m[i] = (float) (b1 * (double) m[i] + (1 - b1) * (double) g[i]);
            v[i] = (float) (b2 * (double) v[i] + (1 - b2) * (double) g[i] * g[i]);
            p[i] = (float) (p[i] - lrT * m[i] / (Math.sqrt(v[i]) + eps));
        }
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
