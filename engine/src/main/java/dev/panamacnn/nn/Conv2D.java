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
import dev.panamacnn.ops.Winograd;
import dev.panamacnn.ops.Winograd4;
import dev.panamacnn.runtime.Flags;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static dev.panamacnn.nn.Step.groupStart;
import static dev.panamacnn.nn.Step.groups;

/**
 * 2-D convolution over NHWC input, like Keras'
 * {@code Conv2D(filters, (kh, kw), strides=(sh, sw), padding="valid"|"same", activation=..., use_bias=True,
 * kernel_initializer="glorot_uniform", bias_initializer="zeros")}. Kernel shape {@code (kh, kw, cin, filters)},
 * bias {@code (filters,)}.
 *
 * <p>Its CPU pair ({@link Cpu}) runs a GEMM over the im2col matrix of chunks of a few samples, that matrix never
 * stored: its blocks are packed straight from the input ({@link ConvOps.Receptive}). With {@code padding="same"} the
 * chunk is first copied into a zero-bordered buffer, and the input gradient cropped out of one. The batch is split
 * into {@link Step#groups} fixed sample groups, and the weight gradient is reduced over groups in order. As the first
 * layer, followed by a 2 x 2 max pooling, it fuses with the pooling ({@link Cpu#fuse}).
 */
public final class Conv2D extends Layer {
    private final int filters, kh, kw, sh, sw;
    private final Activation activation;
    private final Shape declaredInput;
    private Padding padding = Padding.VALID;
    private boolean useBias = true;
    private ParamSpec.Init kernelInit = ParamSpec.Init.GLOROT_UNIFORM, biasInit = ParamSpec.Init.ZEROS;

    /** Input size (ih, iw), padded size used by the kernels (h, w), the padding before (top, left). */
    private int ih, iw, h, w, c, padTop, padLeft, oh, ow, k, chunkSamples;
    private boolean padded;

    /** Keras' config of a Conv2D (the fields panama-cnn writes; defaults left out are Keras' defaults). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Config(String name, int filters, @JsonProperty("kernel_size") List<Integer> kernelSize, List<Integer> strides,
                         String padding, String activation, @JsonProperty("use_bias") Boolean useBias,
                         @JsonProperty("kernel_initializer") String kernelInitializer, @JsonProperty("bias_initializer") String biasInitializer,
                         @JsonProperty("batch_input_shape") List<Integer> batchInputShape) {}

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

    /** Keras' {@code padding=} (default valid); call before the model is built. Returns this layer. */
    public Conv2D padding(Padding p) { checkUnbuilt(); padding = p == null ? Padding.VALID : p; return this; }

    /** Keras' {@code use_bias=} (default true). Returns this layer. */
    public Conv2D useBias(boolean b) { checkUnbuilt(); useBias = b; return this; }

    /** Keras' {@code kernel_initializer=} (default glorot_uniform). Returns this layer. */
    public Conv2D kernelInitializer(ParamSpec.Init i) { checkUnbuilt(); kernelInit = i; return this; }

    /** Keras' {@code bias_initializer=} (default zeros). Returns this layer. */
    public Conv2D biasInitializer(ParamSpec.Init i) { checkUnbuilt(); biasInit = i; return this; }

    private void checkUnbuilt() { if (name() != null) throw new IllegalStateException("Conv2D: change its settings before the model is built"); }

    /**
     * Reads the layer from its config ({@link LayerRegistry}): panama-cnn's own and Keras' {@code get_config()} (the
     * arguments panama-cnn does not implement must have their Keras defaults).
     */
    static Conv2D fromConfig(ConfigReader c) {
        int[] k = c.ints("kernel_size", 2);
        int[] s = c.ints("strides", 2, new int[] {1, 1});
        c.expect("data_format", "channels_last");
        c.expectInts("dilation_rate", 1, 1);
        c.expectInt("groups", 1);
        Conv2D l = new Conv2D(c.posInt("filters"), k[0], k[1], s[0], s[1], c.activation(), c.batchInputShape());
        l.padding = c.padding();
        l.useBias = c.bool("use_bias", true);
        l.kernelInit = c.initializer("kernel_initializer", ParamSpec.Init.GLOROT_UNIFORM);
        l.biasInit = c.initializer("bias_initializer", ParamSpec.Init.ZEROS);
        return l;
    }

    @Override public String kerasClassName() { return "Conv2D"; }
    @Override public Shape declaredInputShape() { return declaredInput; }
    @Override public Activation activation() { return activation; }
    public int filters() { return filters; }
    public int kernelHeight() { return kh; }
    public int kernelWidth() { return kw; }
    public int strideY() { return sh; }
    public int strideX() { return sw; }
    public Padding padding() { return padding; }
    public boolean usesBias() { return useBias; }
    /** Rows of zeros added above the input, and columns to its left (0 for valid padding). */
    public int padTop() { return padTop; }
    public int padLeft() { return padLeft; }
    /** The padded input's height and width, which the kernels slide over (the input's own for valid padding). */
    public int paddedHeight() { return h; }
    public int paddedWidth() { return w; }

    @Override protected Shape computeOutputShape(Shape in) {
        if (in.rank() != 3) throw new IllegalArgumentException("Conv2D expects (height, width, channels) input, got " + in);
        ih = in.dim(0); iw = in.dim(1); c = in.dim(2);
        if (padding == Padding.VALID && (ih < kh || iw < kw)) {
            throw new IllegalArgumentException("Conv2D kernel " + kh + "x" + kw + " larger than input " + in + " (use padding=\"same\")");
        }
        oh = padding.outputSize(ih, kh, sh); ow = padding.outputSize(iw, kw, sw);
        padTop = padding.before(ih, kh, sh); padLeft = padding.before(iw, kw, sw);
        h = ih + padding.total(ih, kh, sh); w = iw + padding.total(iw, kw, sw);
        padded = h != ih || w != iw;
        k = kh * kw * c;
        chunkSamples = Math.max(1, 256 / (oh * ow));
        return Shape.of(oh, ow, filters);
    }

    @Override public List<ParamSpec> paramSpecs() {
        int cin = inputShape == null ? (declaredInput == null ? 0 : declaredInput.dim(2)) : inputShape.dim(2);
        ParamSpec kernel = new ParamSpec("kernel", Shape.of(kh, kw, Math.max(cin, 1), filters), kernelInit, kh * kw * cin, kh * kw * filters);
        return useBias ? List.of(kernel, new ParamSpec("bias", Shape.of(filters), biasInit, 0, 0)) : List.of(kernel);
    }

    /** The pre-activation, for the activations whose derivative needs it (gelu, swish). */
    @Override public List<Kept> kept() {
        return activation.derivativeNeedsInput() ? List.of(new Kept("preactivation", (long) oh * ow * filters, 4)) : List.of();
    }

    @Override public Config config() {
        return new Config(name(), filters, List.of(kh, kw), List.of(sh, sw), padding.kerasName(), activation.kerasName(),
                useBias ? null : false, kernelInit == ParamSpec.Init.GLOROT_UNIFORM ? null : kernelInit.kerasName(),
                biasInit == ParamSpec.Init.ZEROS ? null : biasInit.kerasName(), batchShape(declaredInput));
    }

    @Override public Cpu cpu(CpuBinding b) { return new Cpu(b); }

    /** The CPU pair: the im2col-free GEMM path, the direct path for one input channel, and the pooling fusion. */
    public final class Cpu extends CpuOp {
        private MemorySegment[] dcols;
        /** Per worker: the im2col operand, packed straight from the (padded) input (no im2col buffer). */
        private ConvOps.Receptive[] receptive;
        /** Per worker, for same padding: a chunk of zero-bordered inputs, and of zero-bordered input gradients. */
        private MemorySegment[] padIn, padDIn;
        private MemorySegment partials;
        /** The pre-activation (gelu, swish), per sample. */
        private MemorySegment preact;
        /** The kernel packed for the GEMM, and its transpose, in 64-byte aligned panels (Gemm's packed-B layout). */
        private MemorySegment packedW, packedWT;
        private float[] packRows;
        /** Per worker, for {@link DirectConv}: one sample's (padded) image and one filter panel of its output gradient. */
        private float[][] image;
        private MemorySegment[] dOutPanel;
        private boolean direct;
        /** Whether the input gradient goes straight into the image ({@link Gemm#gemmPackedAddTo}) instead of through col2im. */
        private boolean scatterInputGradient;
        /** Floats of the gradient partials per group: the kernel's, then the bias' when there is one. */
        private final long per = (long) k * filters + (useBias ? filters : 0);
        /**
         * Whether training's kernel gradient runs as Winograd F(5x5, 2x2); then a group's partials ({@link #slot}
         * floats) hold its 36 sums {@code Vᵀ U} instead of the kernel's gradient, and {@link #afterBackward} turns
         * their total ({@link #winoSums}) into the gradient once per step.
         */
        private boolean winoSlots;
        /** As {@link #winoSlots}, for F(5x5, 4x4) on {@link #wino4} ({@code -Dpanamacnn.winograd4.kernelGradient}): 64 sums. */
        private boolean wino4Slots;
        private long slot;
        private MemorySegment winoSums;
        /**
         * Set when the plan runs this layer fused with the 2 x 2 max pooling after it ({@link DirectConv#forwardPooled}):
         * per pooled element the winning window index, per worker two output rows and one sample's pre-activation gradient.
         */
        private MemorySegment poolArgmax;
        private MemorySegment[] pairRows;
        private MemorySegment[] dConv;
        /** The Winograd F(2x2, 5x5) forward ({@code -Dpanamacnn.winograd}), or null where it is off or does not apply. */
        private Winograd.Plan wino;
        /** Whether training uses it too ({@code on}: the forward pass and the kernel gradient), not only inference ({@code predict}). */
        private boolean winoTraining;
        /** The weights version {@code wino}'s kernel was transformed at in a predict call, or -1. */
        private long winoVersion = -1;
        /** The F(4x4, 5x5) forward ({@code -Dpanamacnn.winograd4}: inference, and training with {@code winograd=on}), or null where it is off or does not apply. */
        private Winograd4.Plan wino4;
        /** The weights version {@code wino4}'s kernel was transformed at, or -1. */
        private long wino4Version = -1;
        /**
         * Training's input gradient as F(4x4, 5x5) ({@code -Dpanamacnn.winograd=on} and {@code winograd4}): the valid
         * correlation of the output gradient, zero-bordered by four (per worker, {@code padDOut}), with the kernel
         * turned by 180 degrees and its channels and filters swapped ({@code flipW}); null where it does not apply.
         */
        private Winograd4.Plan wino4Grad;
        private MemorySegment flipW;
        private MemorySegment[] padDOut;

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
            rowsFrom = new RowsFrom[workers];
            padIn = new MemorySegment[workers];
            padDIn = new MemorySegment[workers];
            for (int i = 0; i < workers; i++) {
                if (!scatterInputGradient) dcols[i] = Tensor.allocateFloats(arena, (direct ? (long) oh * ow : rows) * k);
                if (!direct) receptive[i] = new ConvOps.Receptive(h, w, c, kh, kw, sh, sw, oh, ow, (int) rows);
                rowsFrom[i] = new RowsFrom();
                if (padded) {
                    padIn[i] = Tensor.allocateFloats(arena, (long) chunkSamples * h * w * c);
                    padDIn[i] = Tensor.allocateFloats(arena, (long) chunkSamples * h * w * c);
                }
            }
            packedW = Tensor.allocateFloats(arena, Gemm.packedSize(k, filters));
            packedVersion = -1;
            packedWT = Tensor.allocateFloats(arena, Gemm.packedSize(filters, k));
            packRows = new float[Gemm.packRowsSize(filters)];
            if (activation.derivativeNeedsInput()) preact = Tensor.allocateFloats(arena, (long) batch * oh * ow * filters);
            String mode = Flags.winograd();
            wino = null;
            if (!direct && !mode.equals("off") && Winograd.applies(kh, kw, sh, sw, oh, ow, c, filters)) {
                wino = new Winograd.Plan(arena, c, filters, oh, ow, chunkSamples, workers);
                winoTraining = mode.equals("on");
                winoVersion = -1;
            }
            wino4Grad = null;
            if (!direct && mode.equals("on") && Flags.winograd4() && b.inputGradient() && Winograd4.applies(kh, kw, sh, sw, h, w, filters, c)) {
                wino4Grad = new Winograd4.Plan(arena, filters, c, h, w, workers);
                flipW = Tensor.allocateFloats(arena, (long) k * filters);
                padDOut = new MemorySegment[workers];
                for (int i = 0; i < workers; i++) padDOut[i] = Tensor.allocateFloats(arena, (long) chunkSamples * (oh + 8) * (ow + 8) * filters);   // borders stay zero
            }
            wino4 = null;
            wino4Slots = false;
            if (!direct && !mode.equals("off") && Flags.winograd4() && Winograd4.applies(kh, kw, sh, sw, oh, ow, c, filters)) {
                wino4Slots = wino != null && winoTraining && Flags.winograd4KernelGradient() && Winograd4.Plan.gradientApplies(c, filters);
                wino4 = new Winograd4.Plan(arena, c, filters, oh, ow, workers, wino4Slots);
                wino4Version = -1;
            }
            // a group's Winograd kernel gradient is kept as its 36 (or 64) untransformed sums; the step transforms their total once
            winoSlots = !wino4Slots && wino != null && winoTraining && wino.gradientApplies();
            slot = wino4Slots ? wino4.sumsSize() + (useBias ? filters : 0) : winoSlots ? wino.sumsSize() + (useBias ? filters : 0) : per;
            partials = Tensor.allocateFloats(arena, (long) groups(batch) * slot);
            winoSums = winoSlots || wino4Slots ? Tensor.allocateFloats(arena, slot) : null;
            if (direct) {
                image = new float[workers][h * w];
                dOutPanel = new MemorySegment[workers];
                for (int i = 0; i < workers; i++) dOutPanel[i] = Tensor.allocateFloats(arena, (long) oh * ow * Gemm.NR);
            }
        }

        /** Offset of the bias in the parameter segment, or -1 without one. */
        private long biasOffset() { return useBias ? paramOffset + (long) k * filters : -1; }

        /** Bias, activation and (gelu, swish) the kept pre-activation of {@code rows} output pixels at {@code off}. */
        private void finishForward(MemorySegment out, long off, int rows) {
            boolean keep = preact != null;
            ActivationOps.biasActivationForward(out, off, rows, filters, useBias ? params : null, biasOffset(), keep ? Activation.LINEAR : activation);
            if (keep) {
                long n = (long) rows * filters;
                MemorySegment.copy(out, off * 4, preact, off * 4, n * 4);
                for (long i = 0; i < n; i++) out.setAtIndex(ValueLayout.JAVA_FLOAT, off + i, ActivationOps.scalar(activation, out.getAtIndex(ValueLayout.JAVA_FLOAT, off + i)));
            }
        }

        /** The output gradient of {@code rows} pixels at {@code off}, turned into the pre-activation gradient. */
        private void activationGradient(MemorySegment out, MemorySegment dOut, long off, int rows) {
            if (preact != null) ActivationOps.activationBackwardFromInput(preact, dOut, off, (long) rows * filters, activation);
            else ActivationOps.activationBackward(out, dOut, off, rows, filters, activation);
        }

        /** Sample {@code s} of the input into {@code img} (one channel), zero-bordered for same padding. */
        private void loadImage(MemorySegment in, int s, float[] img) {
            long inSize = (long) ih * iw * c;
            if (!padded) {
                MemorySegment.copy(in, ValueLayout.JAVA_FLOAT, s * inSize * 4, img, 0, (int) inSize);
                return;
            }
            for (int y = 0; y < ih; y++) {
                MemorySegment.copy(in, ValueLayout.JAVA_FLOAT, (s * inSize + (long) y * iw * c) * 4, img, ((y + padTop) * w + padLeft) * c, iw * c);
            }
        }

        /** Samples {@code [s, s + cnt)} of the input into the zero-bordered chunk buffer {@code pad} (borders never written). */
        private void padInto(MemorySegment in, int s, int cnt, MemorySegment pad) {
            long inSize = (long) ih * iw * c, pSize = (long) h * w * c;
            int run = iw * c;
            for (int j = 0; j < cnt; j++) {
                for (int y = 0; y < ih; y++) {
                    Vec.copy(in, (s + j) * inSize + (long) y * run, pad, j * pSize + ((long) (y + padTop) * w + padLeft) * c, run);
                }
            }
        }

        /** The interior of {@code cnt} zero-bordered gradients in {@code pad} into samples {@code [s, s + cnt)} of {@code dIn}. */
        private void cropFrom(MemorySegment pad, int cnt, MemorySegment dIn, int s) {
            long inSize = (long) ih * iw * c, pSize = (long) h * w * c;
            int run = iw * c;
            for (int j = 0; j < cnt; j++) {
                for (int y = 0; y < ih; y++) {
                    Vec.copy(pad, j * pSize + ((long) (y + padTop) * w + padLeft) * c, dIn, (s + j) * inSize + (long) y * run, run);
                }
            }
        }

        /**
         * Whether this layer can run fused with {@code next} when it needs no input gradient (the first layer): the
         * single-channel direct path, a bias, ReLU or no activation, and a 2 x 2, stride 2 valid max pooling over an even output.
         */
        private boolean fusesPool(Layer next) {
            return next instanceof MaxPool2D p && p.poolHeight() == 2 && p.poolWidth() == 2 && p.strideY() == 2 && p.strideX() == 2
                    && p.padding() == Padding.VALID && useBias
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

        private MemorySegment alonePooled, aloneArgmax;
        private int alonePooledParts;
        /**
         * One thread's pooled rows of a lone sample's fused forward (the image in {@code image[0]}, read by every
         * thread; the call's state in {@code alonePooled}, {@code aloneArgmax} and {@code alonePooledParts}).
         */
        private final dev.panamacnn.runtime.Parallel.Body alonePooledPart = (p, wk) -> {
            int rowsOut = oh / 2, parts = alonePooledParts;
            int py0 = (int) ((long) p * rowsOut / parts), py1 = (int) ((long) (p + 1) * rowsOut / parts);
            DirectConv.forwardPooled(image[0], w, kh, kw, sh, oh, ow, packedW, filters, params, biasOffset(),
                    activation == Activation.RELU, pairRows[wk], alonePooled, 0, aloneArgmax, 0, ex.gemmScratch()[wk], py0, py1);
        };
        /**
         * Forward of group {@code g} fused with the pooling's: writes the pooled outputs {@code pooled}, not this
         * layer's; the pooling's window indices only when training (the backward needs them).
         */
        private void forwardPooledGroup(int g, int groups, int wk, MemorySegment in, MemorySegment pooled, int n, boolean training) {
            long pooledSize = (long) (oh / 2) * (ow / 2) * filters;
            Gemm.Scratch gs = ex.gemmScratch()[wk];
            if (groups == 1 && n == 1 && Flags.SPLIT_ALONE && ex.pool().threads() > 1 && oh / 2 >= 2) {
                // a lone sample (predict on 1, or batch size 1) is one group, run on the calling thread with the pool
                // idle (Parallel.forEach): its pooled rows are split between the threads, each computed as before
                loadImage(in, 0, image[0]);
                alonePooled = pooled;
                aloneArgmax = training ? poolArgmax : null;
                alonePooledParts = Math.min(ex.pool().threads(), oh / 2);
                ex.pool().forEachPinned(alonePooledParts, alonePooledPart);
                return;
            }
            for (int s = groupStart(g, groups, n), s1 = groupStart(g + 1, groups, n); s < s1; s++) {
                loadImage(in, s, image[wk]);
                DirectConv.forwardPooled(image[wk], w, kh, kw, sh, oh, ow, packedW, filters, params, biasOffset(),
                        activation == Activation.RELU, pairRows[wk], pooled, s * pooledSize, training ? poolArgmax : null, s * pooledSize, gs);
            }
        }

        /** Backward of group {@code g} fused with the pooling's, from the pooled outputs and their gradient (no input gradient). */
        private void backwardPooledGroup(int g, int groups, int wk, MemorySegment in, MemorySegment pooled, MemorySegment dPooled, int n) {
            long pooledSize = (long) (oh / 2) * (ow / 2) * filters;
            long pw = g * per;
            Gemm.Scratch gs = ex.gemmScratch()[wk];
            MemorySegment grad = filters == Gemm.NR ? dOutPanel[wk] : dConv[wk];
            Vec.zero(partials, pw, per);
            for (int s = groupStart(g, groups, n), s1 = groupStart(g + 1, groups, n); s < s1; s++) {
                DirectConv.pooledGradient(pooled, dPooled, s * pooledSize, poolArgmax, s * pooledSize, oh, ow, filters,
                        activation == Activation.RELU, grad);
                loadImage(in, s, image[wk]);
                DirectConv.kernelGradient(image[wk], w, kh, kw, sh, oh, ow, grad, filters, dOutPanel[wk], partials, pw, gs);
                DirectConv.addColumnSums(grad, oh * ow, filters, partials, pw + (long) k * filters);
            }
        }

        @Override public boolean groupwise() { return true; }

        /** The weights version {@code packedW} was made at in a predict call, or -1 (training repacks every step). */
        private long packedVersion = -1;

        /** Whether this step's forward pass runs as Winograd F(2x2, 5x5). */
        private boolean winograd(Step st) { return wino != null && (winoTraining || !st.training()); }

        /** Whether this step's forward pass runs as F(4x4, 5x5): in inference, and in training where Winograd trains ({@code on}). */
        private boolean winograd4(Step st) { return wino4 != null && (!st.training() || winoTraining); }

        @Override public void beforeForward(Step st) {
            long v = b.weightsVersion().get();
            if (winograd4(st)) {
                if (!st.frozen()) wino4.transformKernel(params, paramOffset);
                else if (wino4Version != v) wino4.transformKernelScalar(params, paramOffset);   // once per weights version: the same bits
                wino4Version = st.frozen() ? v : -1;
                return;
            }
            if (winograd(st)) {
                if (!st.frozen() || winoVersion != v) wino.transformKernel(params, paramOffset);
                winoVersion = st.frozen() ? v : -1;
                return;   // the forward pass needs no packed kernel, and the backward pass packs its own (Wᵀ)
            }
            if (st.frozen() && packedVersion == v) return;   // predict: the kernel has not changed since it was packed
            Gemm.packB(false, k, filters, params, paramOffset, filters, packedW);   // once, shared by every group
            packedVersion = st.frozen() ? v : -1;
        }

        @Override public void forwardGroup(Step st) {
            int g = st.group(), groups = st.groups(), wk = st.worker(), n = st.n();
            MemorySegment in = b.in(), out = b.out();
            long inSize = (long) ih * iw * c, outSize = (long) oh * ow * filters;
            Gemm.Scratch gs = ex.gemmScratch()[wk];
            int s1 = groupStart(g + 1, groups, n);
            if (direct) {
                for (int s = groupStart(g, groups, n); s < s1; s++) {
                    loadImage(in, s, image[wk]);
                    DirectConv.forward(image[wk], w, kh, kw, sh, oh, ow, packedW, filters, out, s * outSize, gs);
                    finishForward(out, s * outSize, oh * ow);
                }
                return;
            }
            for (int s = groupStart(g, groups, n); s < s1; s += chunkSamples) {
                int cnt = Math.min(chunkSamples, s1 - s), rows = cnt * oh * ow;
                MemorySegment src = in;
                long srcOff = s * inSize;
                if (padded) { padInto(in, s, cnt, padIn[wk]); src = padIn[wk]; srcOff = 0; }
                if (winograd4(st)) {
                    boolean fused = useBias && preact == null && (activation == Activation.RELU || activation == Activation.LINEAR);
                    int tiles = cnt * wino4.tilesPerSample();
                    if (groups == 1 && Flags.SPLIT_ALONE && tiles >= 2 * Gemm.MR && ex.pool().threads() > 1) {
                        splitAloneTiles(tiles, out, s * outSize, src, srcOff, fused, alone4TilesPart);
                    } else {
                        wino4.forwardTiles(src, srcOff, h, w, 0, tiles, out, s * outSize, fused ? params : null, biasOffset(), activation == Activation.RELU, wk);
                    }
                    if (!fused) finishForward(out, s * outSize, rows);
                    continue;
                }
                if (winograd(st)) {
                    // bias and ReLU in the output transform, where nothing else needs the pre-activation
                    boolean fused = useBias && preact == null && (activation == Activation.RELU || activation == Activation.LINEAR);
                    int tiles = cnt * wino.tilesPerSample();
                    if (groups == 1 && Flags.SPLIT_ALONE && tiles >= 2 * Gemm.MR && ex.pool().threads() > 1) {
                        // a lone group: its tiles split between the threads, as the direct path splits its rows
                        splitAloneTiles(tiles, out, s * outSize, src, srcOff, fused, aloneTilesPart);
                    } else {
                        wino.forward(src, srcOff, cnt, h, w, out, s * outSize, fused ? params : null, biasOffset(), activation == Activation.RELU, wk, gs);
                    }
                    if (!fused) finishForward(out, s * outSize, rows);
                    continue;
                }
                if (groups == 1 && Flags.SPLIT_ALONE && rows >= 4 * Gemm.MR && ex.pool().threads() > 1) {
                    // one group (a batch of 1) runs on the calling thread with the pool idle (Parallel.forEach), so its rows are split
                    aloneRows = rows;
                    aloneParts = Math.min(ex.pool().threads(), rows / (2 * Gemm.MR));
                    aloneOut = out;
                    aloneOutOff = s * outSize;
                    receptive[0].at(src, srcOff);
                    ex.pool().forEachPinned(aloneParts, aloneRowsPart);
                    continue;
                }
                Gemm.gemmPacked(false, rows, filters, k, receptive[wk].at(src, srcOff), packedW, false, out, s * outSize, filters, gs);
                finishForward(out, s * outSize, rows);
            }
        }

        /**
         * One thread's rows of a lone group's forward GEMM: rows are split at multiples of {@link Gemm#MR}, so every
         * register tile, and with it every output's bits, is the same as in one call over all rows. The call's state is
         * in the alone* fields (no lambda allocated per call); {@code receptive[0]} reads the input for every thread.
         */
        private int aloneRows, aloneParts;
        private long aloneOutOff;
        private MemorySegment aloneOut;
        private RowsFrom[] rowsFrom;
        private final dev.panamacnn.runtime.Parallel.Body aloneRowsPart = (p, wk) -> {
            int tiles = aloneRows / Gemm.MR, parts = aloneParts;
            int r0 = (int) ((long) p * tiles / parts) * Gemm.MR, r1 = p + 1 == parts ? aloneRows : (int) ((long) (p + 1) * tiles / parts) * Gemm.MR;
            RowsFrom a = rowsFrom[wk];
            a.source = receptive[0];
            a.first = r0;
            long off = aloneOutOff + (long) r0 * filters;
            Gemm.gemmPacked(false, r1 - r0, filters, k, a, packedW, false, aloneOut, off, filters, ex.gemmScratch()[wk]);
            finishForward(aloneOut, off, r1 - r0);
        };

        private MemorySegment aloneSrc;
        private long aloneSrcOff;
        private boolean aloneFused;
        /** One thread's tiles of a lone group's Winograd forward (split at multiples of MR tiles, one GEMM tile row each). */
        private final dev.panamacnn.runtime.Parallel.Body aloneTilesPart = (p, wk) -> {
            int blocks = aloneRows / Gemm.MR, parts = aloneParts;
            int t0 = (int) ((long) p * blocks / parts) * Gemm.MR, t1 = p + 1 == parts ? aloneRows : (int) ((long) (p + 1) * blocks / parts) * Gemm.MR;
            wino.forwardTiles(aloneSrc, aloneSrcOff, h, w, t0, t1, aloneOut, aloneOutOff, aloneFused ? params : null, biasOffset(),
                    activation == Activation.RELU, wk, ex.gemmScratch()[wk]);
        };

        /** A lone group's Winograd forward, its {@code tiles} split at multiples of MR tiles between the threads, each running {@code part}. */
        private void splitAloneTiles(int tiles, MemorySegment out, long outOff, MemorySegment src, long srcOff, boolean fused,
                                     dev.panamacnn.runtime.Parallel.Body part) {
            aloneRows = tiles;
            aloneParts = Math.min(ex.pool().threads(), tiles / Gemm.MR);
            aloneOut = out;
            aloneOutOff = outOff;
            aloneSrc = src;
            aloneSrcOff = srcOff;
            aloneFused = fused;
            ex.pool().forEachPinned(aloneParts, part);
        }

        /** As {@link #aloneTilesPart}, for F(4x4, 5x5). */
        private final dev.panamacnn.runtime.Parallel.Body alone4TilesPart = (p, wk) -> {
            int blocks = aloneRows / Gemm.MR, parts = aloneParts;
            int t0 = (int) ((long) p * blocks / parts) * Gemm.MR, t1 = p + 1 == parts ? aloneRows : (int) ((long) (p + 1) * blocks / parts) * Gemm.MR;
            wino4.forwardTiles(aloneSrc, aloneSrcOff, h, w, t0, t1, aloneOut, aloneOutOff, aloneFused ? params : null, biasOffset(),
                    activation == Activation.RELU, wk);
        };

        @Override public void beforeBackward(Step st) {
            if (wino4Grad != null) {
                // W'[ky][kx][f][c] = W[4 - ky][4 - kx][c][f], transformed once for the step
                for (int t = 0; t < 25; t++) {
                    long src = paramOffset + (long) (24 - t) * c * filters, dst = (long) t * filters * c;
                    for (int ci = 0; ci < c; ci++)
                        for (int fo = 0; fo < filters; fo++)
                            flipW.setAtIndex(ValueLayout.JAVA_FLOAT, dst + (long) fo * c + ci, params.getAtIndex(ValueLayout.JAVA_FLOAT, src + (long) ci * filters + fo));
                }
                wino4Grad.transformKernel(flipW, 0);
            } else if (b.inputGradient()) {
                Gemm.packB(true, filters, k, params, paramOffset, filters, packedWT, packRows);   // Wᵀ, once
            }
        }

        @Override public void backwardGroup(Step st) {
            int g = st.group(), groups = st.groups(), wk = st.worker(), n = st.n();
            MemorySegment in = b.in(), out = b.out(), dOut = b.dOut(), dIn = b.dIn();
            boolean preActivation = b.preActivation();
            long inSize = (long) ih * iw * c, pSize = (long) h * w * c, outSize = (long) oh * ow * filters;
            long pw = g * slot;
            Gemm.Scratch gs = ex.gemmScratch()[wk];
            int s1 = groupStart(g + 1, groups, n);
            if (direct) {
                Vec.zero(partials, pw, per);
                for (int s = groupStart(g, groups, n); s < s1; s++) {
                    long o = s * outSize;
                    int rows = oh * ow;
                    if (!preActivation) activationGradient(out, dOut, o, rows);
                    loadImage(in, s, image[wk]);
                    DirectConv.kernelGradient(image[wk], w, kh, kw, sh, oh, ow, dOut, o, filters, dOutPanel[wk], partials, pw, gs);
                    if (useBias) Vec.addColumnSums(dOut, o, rows, filters, partials, pw + (long) k * filters);
                    if (dIn != null) {
                        Gemm.gemmPacked(false, rows, k, filters, dOut, o, filters, packedWT, false, dcols[wk], 0, k, gs);
                        if (padded) {
                            Vec.zero(padDIn[wk], 0, pSize);
                            ConvOps.col2imAdd(dcols[wk], 0, 1, h, w, c, kh, kw, sh, sw, oh, ow, padDIn[wk], 0);
                            cropFrom(padDIn[wk], 1, dIn, s);
                        } else {
                            Vec.zero(dIn, s * inSize, inSize);
                            ConvOps.col2imAdd(dcols[wk], 0, 1, h, w, c, kh, kw, sh, sw, oh, ow, dIn, s * inSize);
                        }
                    }
                }
                return;
            }
            // in training, winoSlots means the Winograd kernel gradient (winograd(st) holds whenever winoTraining)
            boolean first = true;
            long biasAt = pw + (wino4Slots ? wino4.sumsSize() : winoSlots ? wino.sumsSize() : (long) k * filters);
            int s0 = groupStart(g, groups, n);
            for (int s = s0; s < s1; s += chunkSamples) {
                int cnt = Math.min(chunkSamples, s1 - s), rows = cnt * oh * ow;
                long o = s * outSize;
                if (!preActivation) activationGradient(out, dOut, o, rows);
                MemorySegment src = in;
                long srcOff = s * inSize;
                if (padded) { padInto(in, s, cnt, padIn[wk]); src = padIn[wk]; srcOff = 0; }
                if (wino4Slots) {
                    // unpadded, the group's tiles go in one call after this loop (a chunk of 4 samples has 16 tiles, half a block)
                    if (padded) wino4.kernelGradient(src, srcOff, cnt, h, w, dOut, o, partials, pw, !first, wk);
                } else if (winoSlots) wino.kernelGradient(src, srcOff, cnt, h, w, dOut, o, partials, pw, !first, wk, gs);
                else Gemm.gemm(true, k, filters, rows, receptive[wk].at(src, srcOff), dOut, o, filters, !first, partials, pw, filters, gs);
                if (useBias) {
                    if (first) Vec.zero(partials, biasAt, filters);
                    Vec.addColumnSums(dOut, o, rows, filters, partials, biasAt);
                }
                if (dIn != null) {
                    // the gradient of the (padded) image: straight into dIn, or into the zero-bordered chunk and cropped
                    MemorySegment target = padded ? padDIn[wk] : dIn;
                    long base = padded ? 0 : s * inSize;
                    if (wino4Grad != null) {
                        // every pixel of the (padded) image written: no zeroing first
                        MemorySegment pd = padDOut[wk];
                        long padSize = (long) (oh + 8) * (ow + 8) * filters, run = (long) ow * filters;
                        for (int j = 0; j < cnt; j++)
                            for (int y = 0; y < oh; y++)
                                Vec.copy(dOut, o + j * outSize + y * run, pd, j * padSize + ((long) (y + 4) * (ow + 8) + 4) * filters, (int) run);
                        wino4Grad.forwardTiles(pd, 0, oh + 8, ow + 8, 0, cnt * wino4Grad.tilesPerSample(), target, base, null, 0, false, wk);
                        if (padded) cropFrom(padDIn[wk], cnt, dIn, s);
                        first = false;
                        continue;
                    }
                    Vec.zero(target, base, cnt * (padded ? pSize : inSize));
                    if (scatterInputGradient) {
                        // dOut W^T added tile by tile straight into the image: a tile is MR pixels of one output row
                        // by NR channels of one kernel tap, so its rows are sw*c floats apart in the image
                        int pixels = oh * ow, run = kw * c;
                        Gemm.gemmPackedAddTo(rows, k, filters, dOut, o, filters, packedWT, target, (i0, j0) -> {
                            int smp = i0 / pixels, rem = i0 - smp * pixels, oy = rem / ow, ox = rem - oy * ow;
                            int ky = j0 / run, rem2 = j0 - ky * run, kx = rem2 / c, ci = rem2 - kx * c;
                            return (base + (((long) smp * h + oy * sh + ky) * w + (long) ox * sw + kx) * c + ci) * 4;
                        }, (long) sw * c * 4, gs);
                    } else {
                        Gemm.gemmPacked(false, rows, k, filters, dOut, o, filters, packedWT, false, dcols[wk], 0, k, gs);
                        ConvOps.col2imAdd(dcols[wk], 0, cnt, h, w, c, kh, kw, sh, sw, oh, ow, target, base);
                    }
                    if (padded) cropFrom(padDIn[wk], cnt, dIn, s);
                }
                first = false;
            }
            // every chunk's pre-activation gradient is in dOut by now
            if (wino4Slots && !padded && s1 > s0) wino4.kernelGradient(in, s0 * inSize, s1 - s0, h, w, dOut, s0 * outSize, partials, pw, false, wk);
        }

        @Override public void afterBackward(Step st) {
            if (winoSlots || wino4Slots) {
                reducePartials(ex, partials, groups(st.n()), slot, winoSums, 0);
                if (wino4Slots) wino4.finishKernelGradient(winoSums, 0, grads, paramOffset);
                else wino.finishKernelGradient(winoSums, 0, grads, paramOffset);
                long sums = wino4Slots ? wino4.sumsSize() : wino.sumsSize();
                if (useBias) MemorySegment.copy(winoSums, sums * 4, grads, (paramOffset + (long) k * filters) * 4, (long) filters * 4);
                return;
            }
            reducePartials(ex, partials, groups(st.n()), per, grads, paramOffset);
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
                forwardPooledGroup(st.group(), st.groups(), st.worker(), b.in(), pool.b.out(), st.n(), st.training());
            }
            @Override public void beforeBackward(Step st) { Cpu.this.beforeBackward(st); }
            @Override public void backwardGroup(Step st) {
                backwardPooledGroup(st.group(), st.groups(), st.worker(), b.in(), pool.b.out(), pool.b.dOut(), st.n());
            }
            @Override public void afterBackward(Step st) { Cpu.this.afterBackward(st); }
        }
    }

    /** Rows {@code first, first + 1, ...} of another {@link Gemm.PackA}, as rows {@code 0, 1, ...}. */
    private static final class RowsFrom implements Gemm.PackA {
        Gemm.PackA source;
        int first;

        @Override public void pack(boolean transA, int ic, int pc, int mc, int kc, float[] dst) {
            source.pack(transA, first + ic, pc, mc, kc, dst);
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
