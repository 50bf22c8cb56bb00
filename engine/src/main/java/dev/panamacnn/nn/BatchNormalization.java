package dev.panamacnn.nn;

import dev.panamacnn.ops.NormOps;
import dev.panamacnn.tensor.Shape;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Keras' {@code BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True)} over the last
 * (channel) axis. Training: each channel normalized with the batch's mean and (biased) variance over the batch and the
 * image, {@code y = gamma (x - mean) / sqrt(var + epsilon) + beta}, and the moving statistics updated as Keras does,
 * {@code moving = moving * momentum + batch * (1 - momentum)}. Inference: the moving statistics instead.
 *
 * <p>Parameters in Keras' order: {@code gamma} (with scale), {@code beta} (with center), then the non-trainable
 * {@code moving_mean} and {@code moving_variance}, which model files and checkpoints keep with the rest, which the
 * optimizers never touch and whose gradient is zero. Sums over the batch are taken per sample group and added in group
 * order (float vector sums over blocks of 64 rows, added in double precision: {@link NormOps}), so results do not
 * depend on the thread count.
 */
public final class BatchNormalization extends Layer {
    private final float momentum, epsilon;
    private final boolean center, scale;
    private int channels;

    /** Keras' config of a BatchNormalization layer. */
    public record Config(String name, int axis, float momentum, float epsilon, boolean center, boolean scale) {}

    public BatchNormalization() { this(0.99f, 1e-3f, true, true); }

    public BatchNormalization(float momentum, float epsilon, boolean center, boolean scale) {
        if (!(momentum >= 0 && momentum <= 1)) throw new IllegalArgumentException("BatchNormalization: momentum must be in [0, 1], got " + momentum);
        if (!(epsilon > 0)) throw new IllegalArgumentException("BatchNormalization: epsilon must be > 0, got " + epsilon);
        this.momentum = momentum; this.epsilon = epsilon; this.center = center; this.scale = scale;
    }

    static BatchNormalization fromConfig(ConfigReader c) {
        var axis = c.node("axis");
        boolean lastAxis = axis.isMissingNode() || (axis.canConvertToInt() && axis.asInt() == -1)
                || (axis.isArray() && axis.size() == 1 && axis.get(0).asInt() == -1);
        if (!lastAxis && !(axis.canConvertToInt() || axis.isArray())) throw c.error("axis", "expected -1, got " + axis);
        float m = (float) c.number("momentum", 0.99), e = (float) c.number("epsilon", 1e-3);
        boolean center = c.bool("center", true), scale = c.bool("scale", true);
        c.initializerMustBe("beta_initializer", ParamSpec.Init.ZEROS);
        c.initializerMustBe("gamma_initializer", ParamSpec.Init.ONES);
        c.initializerMustBe("moving_mean_initializer", ParamSpec.Init.ZEROS);
        c.initializerMustBe("moving_variance_initializer", ParamSpec.Init.ONES);
        if (c.bool("renorm", false)) throw c.error("renorm", "batch renormalization is not supported");
        c.node("renorm_momentum");   // meaningful only with renorm
        c.bool("fused", false);        // an implementation choice of TensorFlow's, same results
        if (c.bool("synchronized", false)) throw c.error("synchronized", "synchronized (multi-device) batch statistics are not supported");
        BatchNormalization l = new BatchNormalization(m, e, center, scale);
        l.axisNode = lastAxis ? null : axis;
        return l;
    }

    /** A positive axis from a config, checked against the input's rank when the model is built. */
    private com.fasterxml.jackson.databind.JsonNode axisNode;

    @Override public String kerasClassName() { return "BatchNormalization"; }
    public float momentum() { return momentum; }
    public float epsilon() { return epsilon; }
    public boolean center() { return center; }
    public boolean scale() { return scale; }

    @Override protected Shape computeOutputShape(Shape in) {
        if (axisNode != null) {
            int a = axisNode.isArray() ? axisNode.get(0).asInt() : axisNode.asInt();
            if (a != in.rank()) {   // Keras counts the batch axis: the last axis of a (h, w, c) sample is 3
                throw new IllegalArgumentException("BatchNormalization: only the last axis (-1 or " + in.rank() + ") is supported, got axis " + axisNode);
            }
        }
        channels = in.dim(in.rank() - 1);
        return in;
    }

    @Override public List<ParamSpec> paramSpecs() {
        int c = Math.max(channels, 1);
        List<ParamSpec> l = new ArrayList<>();
        if (scale) l.add(new ParamSpec("gamma", Shape.of(c), ParamSpec.Init.ONES, 0, 0));
        if (center) l.add(new ParamSpec("beta", Shape.of(c), ParamSpec.Init.ZEROS, 0, 0));
        l.add(new ParamSpec("moving_mean", Shape.of(c), ParamSpec.Init.ZEROS, 0, 0, false));
        l.add(new ParamSpec("moving_variance", Shape.of(c), ParamSpec.Init.ONES, 0, 0, false));
        return l;
    }

    @Override public Config config() { return new Config(name(), -1, momentum, epsilon, center, scale); }
    @Override public CpuOp cpu(CpuBinding b) { return new Cpu(b); }

    private final class Cpu extends CpuOp {
        private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
        private final int c = channels;
        private final long gammaOff, betaOff, meanOff, varOff;
        /** Per group, per channel partial sums (two of them), added in group order. */
        private double[][] partA, partB;
        /** The last training forward's batch mean and 1 / sqrt(var + eps), per channel. */
        private final float[] mean = new float[c], invStd = new float[c];
        private final float[] dBeta = new float[c], dGamma = new float[c];
        /** Per-call scratch, allocated once: the batch mean in double, the inference statistics, the affine terms, dx's factor. */
        private final double[] m = new double[c];
        private final float[] mm = new float[c], is = new float[c], sc = new float[c], sh = new float[c], k = new float[c];

        Cpu(CpuBinding b) {
            super(BatchNormalization.this.name(), b);
            long o = paramOffset;
            gammaOff = scale ? o : -1;
            if (scale) o += c;
            betaOff = center ? o : -1;
            if (center) o += c;
            meanOff = o;
            varOff = o + c;
        }

        @Override public void allocate() {
            int g = Step.groups(b.capacity());
            partA = new double[g][c];
            partB = new double[g][c];
        }

        private float gamma(int ch) { return scale ? params.getAtIndex(F, gammaOff + ch) : 1f; }
        private float beta(int ch) { return center ? params.getAtIndex(F, betaOff + ch) : 0f; }

        /** Rows (pixels of all samples) of sample group {@code g}. */
        private long rowStart(Step s, int g) { return (long) Step.groupStart(g, s.groups(), s.n()) * (outputShape().size() / c); }

        @Override public void forward(Step s) {
            MemorySegment in = b.in(), out = b.out();
            int groups = s.groups();
            long rows = (long) s.n() * (outputShape().size() / c);
            if (s.training()) {
                ex.pool().forEach(groups, (g, wk) -> {
                    java.util.Arrays.fill(partA[g], 0);
                    NormOps.channelSums(in, rowStart(s, g), rowStart(s, g + 1), c, null, partA[g]);
                });
                java.util.Arrays.fill(m, 0);
                for (int g = 0; g < groups; g++) for (int ch = 0; ch < c; ch++) m[ch] += partA[g][ch];
                for (int ch = 0; ch < c; ch++) mean[ch] = (float) (m[ch] / rows);
                ex.pool().forEach(groups, (g, wk) -> {
                    java.util.Arrays.fill(partB[g], 0);
                    NormOps.channelSums(in, rowStart(s, g), rowStart(s, g + 1), c, mean, partB[g]);
                });
                for (int ch = 0; ch < c; ch++) {
                    double var = 0;
                    for (int g = 0; g < groups; g++) var += partB[g][ch];
                    var /= rows;
                    invStd[ch] = (float) (1 / Math.sqrt(var + epsilon));
                    long mo = meanOff + ch, vo = varOff + ch;
                    params.setAtIndex(F, mo, params.getAtIndex(F, mo) * momentum + mean[ch] * (1 - momentum));
                    params.setAtIndex(F, vo, params.getAtIndex(F, vo) * momentum + (float) var * (1 - momentum));
                }
                normalize(s, in, out, mean, invStd);
            } else {
                for (int ch = 0; ch < c; ch++) {
                    mm[ch] = params.getAtIndex(F, meanOff + ch);
                    is[ch] = (float) (1 / Math.sqrt(params.getAtIndex(F, varOff + ch) + (double) epsilon));
                }
                normalize(s, in, out, mm, is);
            }
        }

        private void normalize(Step s, MemorySegment in, MemorySegment out, float[] m, float[] is) {
            for (int ch = 0; ch < c; ch++) { sc[ch] = gamma(ch) * is[ch]; sh[ch] = beta(ch) - m[ch] * sc[ch]; }
            ex.pool().forEach(s.groups(), (g, wk) -> NormOps.affine(in, out, rowStart(s, g), rowStart(s, g + 1), c, sc, sh));
        }

        @Override public void backward(Step s) {
            MemorySegment in = b.in(), dOut = b.dOut(), dIn = b.dIn();
            int groups = s.groups();
            long rows = (long) s.n() * (outputShape().size() / c);
            ex.pool().forEach(groups, (g, wk) -> {
                java.util.Arrays.fill(partA[g], 0);
                java.util.Arrays.fill(partB[g], 0);
                NormOps.gradientSums(in, dOut, rowStart(s, g), rowStart(s, g + 1), c, mean, invStd, partA[g], partB[g]);
            });
            for (int ch = 0; ch < c; ch++) {
                double sb = 0, sg = 0;
                for (int g = 0; g < groups; g++) { sb += partA[g][ch]; sg += partB[g][ch]; }
                dBeta[ch] = (float) sb;
                dGamma[ch] = (float) sg;
                if (scale) grads.setAtIndex(F, gammaOff + ch, dGamma[ch]);
                if (center) grads.setAtIndex(F, betaOff + ch, dBeta[ch]);
                grads.setAtIndex(F, meanOff + ch, 0f);
                grads.setAtIndex(F, varOff + ch, 0f);
            }
            if (dIn == null) return;
            // dx = gamma invstd / R (R dy - sum dy - xhat sum(dy xhat))
            for (int ch = 0; ch < c; ch++) k[ch] = (float) ((double) gamma(ch) * invStd[ch] / rows);
            ex.pool().forEach(groups, (g, wk) -> NormOps.inputGradient(in, dOut, dIn, rowStart(s, g), rowStart(s, g + 1), c, rows,
                    mean, invStd, k, dBeta, dGamma));
        }
    }
}
