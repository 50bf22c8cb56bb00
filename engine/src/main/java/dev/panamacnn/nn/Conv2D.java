package dev.panamacnn.nn;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.panamacnn.activations.Activation;
import dev.panamacnn.ops.ActivationOps;
import dev.panamacnn.ops.ConvOps;
import dev.panamacnn.ops.DirectConv;
import dev.panamacnn.ops.Exec;
import dev.panamacnn.ops.Gemm;
import dev.panamacnn.ops.Vec;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static dev.panamacnn.nn.Step.groupStart;
import static dev.panamacnn.nn.Step.groups;

/**
 * 2-D convolution over NHWC input with "valid" padding, like Keras'
 * {@code Conv2D(filters, (kh, kw), strides=(sh, sw), activation=...)}. Kernel shape {@code (kh, kw, cin, filters)},
 * bias {@code (filters,)}.
 *
 * <p>Its CPU pair ({@link Cpu}) runs a GEMM over the im2col matrix of chunks of a few samples, that matrix never
 * stored: its blocks are packed straight from the input ({@link ConvOps.Receptive}). The batch is split into
 * {@link Step#groups} fixed sample groups, and the weight gradient is reduced over groups in order. As the first
 * layer, followed by a 2 x 2 max pooling, it fuses with the pooling ({@link Cpu#fuse}).
 */
public final class Conv2D extends Layer {
    private final int filters, kh, kw, sh, sw;
    private final Activation activation;
    private final Shape declaredInput;

    private int h, w, c, oh, ow, k, chunkSamples;

    /** Keras' config of a Conv2D (the fields panama-cnn writes). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Config(String name, int filters, @JsonProperty("kernel_size") List<Integer> kernelSize, List<Integer> strides,
                         String padding, String activation, @JsonProperty("batch_input_shape") List<Integer> batchInputShape) {}

    public Conv2D(int filters, int kh, int kw, Activation activation) {
        this(filters, kh, kw, 1, 1, activation, null);
    }

    public Conv2D(int filters, int kh, int kw, Activation activation, Shape inputShape) {
        this(filters, kh, kw, 1, 1, activation, inputShape);
    }

    public Conv2D(int filters, int kh, int kw, int sh, int sw, Activation activation, Shape inputShape) {
        if (filters < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1) {
            throw new IllegalArgumentException("Conv2D: filters, kernel size and strides must be >= 1");
        }
        if (inputShape != null && inputShape.rank() != 3) {
            throw new IllegalArgumentException("Conv2D: input shape must be (height, width, channels), got " + inputShape);
        }
        this.filters = filters; this.kh = kh; this.kw = kw; this.sh = sh; this.sw = sw;
        this.activation = activation == null ? Activation.LINEAR : activation;
        this.declaredInput = inputShape;
    }

    /** Reads the layer from its Keras config ({@link LayerRegistry}). */
    static Conv2D fromConfig(ConfigReader c) {
        int[] k = c.ints("kernel_size", 2);
        int[] s = c.ints("strides", 2, new int[] {1, 1});
        c.oneOf("padding", "valid");
        return new Conv2D(c.posInt("filters"), k[0], k[1], s[0], s[1], c.activation(), c.batchInputShape());
    }

    @Override public String kerasClassName() { return "Conv2D"; }
    @Override public Shape declaredInputShape() { return declaredInput; }
    @Override public Activation activation() { return activation; }
    public int filters() { return filters; }
    public int kernelHeight() { return kh; }
    public int kernelWidth() { return kw; }
    public int strideY() { return sh; }
    public int strideX() { return sw; }

    @Override protected Shape computeOutputShape(Shape in) {
        if (in.rank() != 3) throw new IllegalArgumentException("Conv2D expects (height, width, channels) input, got " + in);
        h = in.dim(0); w = in.dim(1); c = in.dim(2);
        if (h < kh || w < kw) throw new IllegalArgumentException("Conv2D kernel " + kh + "x" + kw + " larger than input " + in);
        oh = (h - kh) / sh + 1; ow = (w - kw) / sw + 1; k = kh * kw * c;
        chunkSamples = Math.max(1, 256 / (oh * ow));
        return Shape.of(oh, ow, filters);
    }

    @Override public List<ParamSpec> paramSpecs() {
        int cin = inputShape == null ? (declaredInput == null ? 0 : declaredInput.dim(2)) : inputShape.dim(2);
        return List.of(
                new ParamSpec("kernel", Shape.of(kh, kw, Math.max(cin, 1), filters), ParamSpec.Init.GLOROT_UNIFORM, kh * kw * cin, kh * kw * filters),
                new ParamSpec("bias", Shape.of(filters), ParamSpec.Init.ZEROS, 0, 0));
    }

    @Override public Config config() {
        return new Config(name(), filters, List.of(kh, kw), List.of(sh, sw), "valid", activation.kerasName(), batchShape(declaredInput));
    }

    @Override public Cpu cpu(CpuBinding b) { return new Cpu(b); }

    /** The CPU pair: the im2col-free GEMM path, the direct path for one input channel, and the pooling fusion. */
    public final class Cpu extends CpuOp {
        private MemorySegment[] dcols;
        /** Per worker: the im2col operand, packed straight from the input (no im2col buffer). */
        private ConvOps.Receptive[] receptive;
        private MemorySegment partials;
        /** The kernel packed for the GEMM, and its transpose, in 64-byte aligned panels (Gemm's packed-B layout). */
        private MemorySegment packedW, packedWT;
        private float[] packRows;
        /** Per worker, for {@link DirectConv}: one sample's image and one filter panel of its output gradient. */
        private float[][] image;
        private MemorySegment[] dOutPanel;
        private boolean direct;
        /** Whether the input gradient goes straight into the image ({@link Gemm#gemmPackedAddTo}) instead of through col2im. */
        private boolean scatterInputGradient;
        /**
         * Set when the plan runs this layer fused with the 2 x 2 max pooling after it ({@link DirectConv#forwardPooled}):
         * per pooled element the winning window index, per worker two output rows and one sample's pre-activation gradient.
         */
        private MemorySegment poolArgmax;
        private MemorySegment[] pairRows;
        private MemorySegment[] dConv;

        Cpu(CpuBinding b) { super(Conv2D.this.name(), b); }

        @Override public void allocate() {
            allocate(b.arena(), b.capacity(), b.workers());
        }

        private void allocate(Arena arena, int batch, int workers) {
            direct = DirectConv.applies(c, sw, ow);
            scatterInputGradient = Gemm.vectorized() && ow % Gemm.MR == 0 && c % Gemm.NR == 0 && filters <= Gemm.KC;
            // column gradients only where col2im is used
            long rows = (long) chunkSamples * oh * ow;
            dcols = new MemorySegment[workers];
            receptive = direct ? null : new ConvOps.Receptive[workers];
            for (int i = 0; i < workers; i++) {
                if (!scatterInputGradient) dcols[i] = Tensor.allocateFloats(arena, (direct ? (long) oh * ow : rows) * k);
                if (!direct) receptive[i] = new ConvOps.Receptive(h, w, c, kh, kw, sh, sw, oh, ow, (int) rows);
            }
            partials = Tensor.allocateFloats(arena, (long) groups(batch) * (k * filters + filters));
            packedW = Tensor.allocateFloats(arena, Gemm.packedSize(k, filters));
            packedWT = Tensor.allocateFloats(arena, Gemm.packedSize(filters, k));
            packRows = new float[Gemm.packRowsSize(filters)];
            if (direct) {
                image = new float[workers][h * w];
                dOutPanel = new MemorySegment[workers];
                for (int i = 0; i < workers; i++) dOutPanel[i] = Tensor.allocateFloats(arena, (long) oh * ow * Gemm.NR);
            }
        }

        /**
         * Whether this layer can run fused with {@code next} when it needs no input gradient (the first layer): the
         * single-channel direct path, ReLU or no activation, and a 2 x 2, stride 2 max pooling over an even output.
         */
        private boolean fusesPool(Layer next) {
            return next instanceof MaxPool2D p && p.poolHeight() == 2 && p.poolWidth() == 2 && p.strideY() == 2 && p.strideX() == 2
                    && DirectConv.poolFusionApplies(c, sw, oh, ow, activation == Activation.RELU || activation == Activation.LINEAR);
        }

        /** Workspace of the fused path, for batches of up to {@code batch} samples. */
        private void allocateFused(Arena arena, int batch, int workers) {
            poolArgmax = arena.allocate((long) batch * (oh / 2) * (ow / 2) * filters, 64);
            pairRows = new MemorySegment[workers];
            dConv = new MemorySegment[workers];
            for (int i = 0; i < workers; i++) {
                pairRows[i] = Tensor.allocateFloats(arena, 2L * ow * filters);
                if (filters != Gemm.NR) dConv[i] = Tensor.allocateFloats(arena, (long) oh * ow * filters);
            }
        }

        /** Forward of group {@code g} fused with the pooling: writes the pooled outputs {@code pooled}, not this layer's. */
        private void forwardPooledGroup(int g, int groups, int wk, MemorySegment in, MemorySegment pooled, int n) {
            long inSize = (long) h * w * c, pooledSize = (long) (oh / 2) * (ow / 2) * filters;
            long bOff = paramOffset + (long) k * filters;
            Gemm.Scratch gs = ex.gemmScratch()[wk];
            for (int s = groupStart(g, groups, n), s1 = groupStart(g + 1, groups, n); s < s1; s++) {
                MemorySegment.copy(in, ValueLayout.JAVA_FLOAT, s * inSize * 4, image[wk], 0, (int) inSize);
                DirectConv.forwardPooled(image[wk], w, kh, kw, sh, oh, ow, packedW, filters, params, bOff,
                        activation == Activation.RELU, pairRows[wk], pooled, s * pooledSize, poolArgmax, s * pooledSize, gs);
            }
        }

        /** Backward of group {@code g} fused with the pooling's, from the pooled outputs and their gradient (no input gradient). */
        private void backwardPooledGroup(int g, int groups, int wk, MemorySegment in, MemorySegment pooled, MemorySegment dPooled, int n) {
            long inSize = (long) h * w * c, pooledSize = (long) (oh / 2) * (ow / 2) * filters;
            long per = (long) k * filters + filters, pw = g * per;
            Gemm.Scratch gs = ex.gemmScratch()[wk];
            MemorySegment grad = filters == Gemm.NR ? dOutPanel[wk] : dConv[wk];
            Vec.zero(partials, pw, per);
            for (int s = groupStart(g, groups, n), s1 = groupStart(g + 1, groups, n); s < s1; s++) {
                DirectConv.pooledGradient(pooled, dPooled, s * pooledSize, poolArgmax, s * pooledSize, oh, ow, filters,
                        activation == Activation.RELU, grad);
                MemorySegment.copy(in, ValueLayout.JAVA_FLOAT, s * inSize * 4, image[wk], 0, (int) inSize);
                DirectConv.kernelGradient(image[wk], w, kh, kw, sh, oh, ow, grad, filters, dOutPanel[wk], partials, pw, gs);
                DirectConv.addColumnSums(grad, oh * ow, filters, partials, pw + (long) k * filters);
            }
        }

        @Override public boolean groupwise() { return true; }

        @Override public void beforeForward(Step st) {
            Gemm.packB(false, k, filters, params, paramOffset, filters, packedW);   // once, shared by every group
        }

        @Override public void forwardGroup(Step st) {
            int g = st.group(), groups = st.groups(), wk = st.worker(), n = st.n();
            MemorySegment in = b.in(), out = b.out();
            long inSize = (long) h * w * c, outSize = (long) oh * ow * filters;
            long bOff = paramOffset + (long) k * filters;
            Gemm.Scratch gs = ex.gemmScratch()[wk];
            int s1 = groupStart(g + 1, groups, n);
            if (direct) {
                for (int s = groupStart(g, groups, n); s < s1; s++) {
                    MemorySegment.copy(in, ValueLayout.JAVA_FLOAT, s * inSize * 4, image[wk], 0, (int) inSize);
                    DirectConv.forward(image[wk], w, kh, kw, sh, oh, ow, packedW, filters, out, s * outSize, gs);
                    ActivationOps.biasActivationForward(out, s * outSize, oh * ow, filters, params, bOff, activation);
                }
                return;
            }
            for (int s = groupStart(g, groups, n); s < s1; s += chunkSamples) {
                int cnt = Math.min(chunkSamples, s1 - s), rows = cnt * oh * ow;
                Gemm.gemmPacked(false, rows, filters, k, receptive[wk].at(in, s * inSize), packedW, false, out, s * outSize, filters, gs);
                ActivationOps.biasActivationForward(out, s * outSize, rows, filters, params, bOff, activation);
            }
        }

        @Override public void beforeBackward(Step st) {
            if (b.inputGradient()) Gemm.packB(true, filters, k, params, paramOffset, filters, packedWT, packRows);   // Wᵀ, once
        }

        @Override public void backwardGroup(Step st) {
            int g = st.group(), groups = st.groups(), wk = st.worker(), n = st.n();
            MemorySegment in = b.in(), out = b.out(), dOut = b.dOut(), dIn = b.dIn();
            boolean preActivation = b.preActivation();
            long inSize = (long) h * w * c, outSize = (long) oh * ow * filters;
            long per = (long) k * filters + filters, pw = g * per;
            Gemm.Scratch gs = ex.gemmScratch()[wk];
            int s1 = groupStart(g + 1, groups, n);
            if (direct) {
                Vec.zero(partials, pw, per);
                for (int s = groupStart(g, groups, n); s < s1; s++) {
                    long o = s * outSize;
                    int rows = oh * ow;
                    if (!preActivation) ActivationOps.activationBackward(out, dOut, o, rows, filters, activation);
                    MemorySegment.copy(in, ValueLayout.JAVA_FLOAT, s * inSize * 4, image[wk], 0, (int) inSize);
                    DirectConv.kernelGradient(image[wk], w, kh, kw, sh, oh, ow, dOut, o, filters, dOutPanel[wk], partials, pw, gs);
                    Vec.addColumnSums(dOut, o, rows, filters, partials, pw + (long) k * filters);
                    if (dIn != null) {
                        Gemm.gemmPacked(false, rows, k, filters, dOut, o, filters, packedWT, false, dcols[wk], 0, k, gs);
                        Vec.zero(dIn, s * inSize, inSize);
                        ConvOps.col2imAdd(dcols[wk], 0, 1, h, w, c, kh, kw, sh, sw, oh, ow, dIn, s * inSize);
                    }
                }
                return;
            }
            boolean first = true;
            for (int s = groupStart(g, groups, n); s < s1; s += chunkSamples) {
                int cnt = Math.min(chunkSamples, s1 - s), rows = cnt * oh * ow;
                long o = s * outSize;
                if (!preActivation) ActivationOps.activationBackward(out, dOut, o, rows, filters, activation);
                Gemm.gemm(true, k, filters, rows, receptive[wk].at(in, s * inSize), dOut, o, filters, !first, partials, pw, filters, gs);
                if (first) Vec.zero(partials, pw + (long) k * filters, filters);
                Vec.addColumnSums(dOut, o, rows, filters, partials, pw + (long) k * filters);
                if (dIn != null) {
                    Vec.zero(dIn, s * inSize, cnt * inSize);
                    if (scatterInputGradient) {
                        // dOut W^T added tile by tile straight into the image: a tile is MR pixels of one output row
                        // by NR channels of one kernel tap, so its rows are sw*c floats apart in dIn
                        long base = s * inSize;
                        int pixels = oh * ow, run = kw * c;
                        Gemm.gemmPackedAddTo(rows, k, filters, dOut, o, filters, packedWT, dIn, (i0, j0) -> {
                            int smp = i0 / pixels, rem = i0 - smp * pixels, oy = rem / ow, ox = rem - oy * ow;
                            int ky = j0 / run, rem2 = j0 - ky * run, kx = rem2 / c, ci = rem2 - kx * c;
                            return (base + (((long) smp * h + oy * sh + ky) * w + (long) ox * sw + kx) * c + ci) * 4;
                        }, (long) sw * c * 4, gs);
                    } else {
                        Gemm.gemmPacked(false, rows, k, filters, dOut, o, filters, packedWT, false, dcols[wk], 0, k, gs);
                        ConvOps.col2imAdd(dcols[wk], 0, cnt, h, w, c, kh, kw, sh, sw, oh, ow, dIn, s * inSize);
                    }
                }
                first = false;
            }
        }

        @Override public void afterBackward(Step st) {
            reducePartials(ex, partials, groups(st.n()), (long) k * filters + filters, grads, paramOffset);
        }

        @Override public CpuOp fuse(Layer next, CpuOp nextOp) {
            return !b.inputGradient() && fusesPool(next) ? new PooledPair(nextOp) : null;
        }

        /**
         * This convolution and the 2 x 2 max pooling after it as one groupwise op: the convolution's outputs and their
         * gradient are never stored; the pooling's output and output gradient are read from its own binding.
         */
        private final class PooledPair extends CpuOp {
            private final CpuOp pool;

            PooledPair(CpuOp pool) {
                super(Conv2D.this.name() + "+" + pool.name(), Cpu.this.b);
                this.pool = pool;
            }

            @Override public void allocate() { allocateFused(b.arena(), b.capacity(), b.workers()); }
            @Override public boolean groupwise() { return true; }
            @Override public void beforeForward(Step st) { Cpu.this.beforeForward(st); }
            @Override public void forwardGroup(Step st) {
                forwardPooledGroup(st.group(), st.groups(), st.worker(), b.in(), pool.b.out(), st.n());
            }
            @Override public void beforeBackward(Step st) { Cpu.this.beforeBackward(st); }
            @Override public void backwardGroup(Step st) {
                backwardPooledGroup(st.group(), st.groups(), st.worker(), b.in(), pool.b.out(), pool.b.dOut(), st.n());
            }
            @Override public void afterBackward(Step st) { Cpu.this.afterBackward(st); }
        }
    }

    /** {@code dst[off..off+per) = sum over g of src[g*per..]} in group order, split over fixed ranges. */
    static void reducePartials(Exec ex, MemorySegment src, int groups, long per, MemorySegment dst, long off) {
        final int span = 4096;
        int ranges = (int) ((per + span - 1) / span);
        ex.pool().forEach(ranges, (r, wk) -> {
            long a = (long) r * span;
            int len = (int) Math.min(span, per - a);
            Vec.copy(src, a, dst, off + a, len);
            for (int g = 1; g < groups; g++) Vec.add(src, g * per + a, dst, off + a, len);
        });
    }
}
