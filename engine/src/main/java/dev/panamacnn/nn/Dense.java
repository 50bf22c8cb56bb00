package dev.panamacnn.nn;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.panamacnn.activations.Activation;
import dev.panamacnn.ops.ActivationOps;
import dev.panamacnn.ops.Gemm;
import dev.panamacnn.ops.Gemv;
import dev.panamacnn.ops.Vec;
import dev.panamacnn.runtime.Flags;
import dev.panamacnn.tensor.Shape;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Fully connected layer, like Keras' {@code Dense(units, activation=..., use_bias=True, kernel_initializer="glorot_uniform",
 * bias_initializer="zeros")}: kernel {@code (in, units)}, bias {@code (units,)}.
 */
public final class Dense extends Layer {
    private static final int ROWS_PER_CHUNK = 8;
    private final int units;
    private final Activation activation;
    private final Shape declaredInput;
    private boolean useBias = true;
    private ParamSpec.Init kernelInit = ParamSpec.Init.GLOROT_UNIFORM, biasInit = ParamSpec.Init.ZEROS;
    private int in;

    /** Keras' config of a Dense layer (the fields panama-cnn writes; defaults left out are Keras' defaults). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Config(String name, int units, String activation, @JsonProperty("use_bias") Boolean useBias,
                         @JsonProperty("kernel_initializer") String kernelInitializer, @JsonProperty("bias_initializer") String biasInitializer,
                         @JsonProperty("batch_input_shape") List<Integer> batchInputShape) {}

    public Dense(int units, Activation activation) { this(units, activation, null); }

    public Dense(int units, Activation activation, Shape inputShape) {
        if (units < 1) throw new IllegalArgumentException("Dense: units must be >= 1, got " + units);
        this.units = units;
        this.activation = activation == null ? Activation.LINEAR : activation;
        this.declaredInput = inputShape;
    }

    /** Keras' {@code use_bias=} (default true); call before the model is built. Returns this layer. */
    public Dense useBias(boolean b) { checkUnbuilt(); useBias = b; return this; }

    /** Keras' {@code kernel_initializer=} (default glorot_uniform). Returns this layer. */
    public Dense kernelInitializer(ParamSpec.Init i) { checkUnbuilt(); kernelInit = i; return this; }

    /** Keras' {@code bias_initializer=} (default zeros). Returns this layer. */
    public Dense biasInitializer(ParamSpec.Init i) { checkUnbuilt(); biasInit = i; return this; }

    private void checkUnbuilt() { if (name() != null) throw new IllegalStateException("Dense: change its settings before the model is built"); }

    public boolean usesBias() { return useBias; }

    static Dense fromConfig(ConfigReader c) {
        Dense d = new Dense(c.posInt("units"), c.activation(), c.batchInputShape());
        d.useBias = c.bool("use_bias", true);
        d.kernelInit = c.initializer("kernel_initializer", ParamSpec.Init.GLOROT_UNIFORM);
        d.biasInit = c.initializer("bias_initializer", ParamSpec.Init.ZEROS);
        return d;
    }

    @Override public String kerasClassName() { return "Dense"; }
    @Override public Shape declaredInputShape() { return declaredInput; }
    @Override public Activation activation() { return activation; }
    public int units() { return units; }

    @Override protected Shape computeOutputShape(Shape input) {
        if (input.rank() != 1) {
            throw new IllegalArgumentException("Dense expects a flat input, got " + input + ": add a Flatten() layer before it");
        }
        in = input.dim(0);
        return Shape.of(units);
    }

    @Override public List<ParamSpec> paramSpecs() {
        int fin = inputShape == null ? 1 : inputShape.dim(0);
        ParamSpec kernel = new ParamSpec("kernel", Shape.of(fin, units), kernelInit, fin, units);
        return useBias ? List.of(kernel, new ParamSpec("bias", Shape.of(units), biasInit, 0, 0)) : List.of(kernel);
    }

    /** The pre-activation, for the activations whose derivative needs it (gelu, swish). */
    @Override public List<Kept> kept() {
        return activation.derivativeNeedsInput() ? List.of(new Kept("preactivation", units, 4)) : List.of();
    }

    @Override public Config config() {
        return new Config(name(), units, activation.kerasName(), useBias ? null : false,
                kernelInit == ParamSpec.Init.GLOROT_UNIFORM ? null : kernelInit.kerasName(),
                biasInit == ParamSpec.Init.ZEROS ? null : biasInit.kerasName(), batchShape(declaredInput));
    }

    @Override public CpuOp cpu(CpuBinding b) { return new Cpu(b); }

    /** The CPU pair: batch-wide GEMMs (the GEMM splits the work over the threads) and a fused bias + activation pass. */
    private final class Cpu extends CpuOp {
        private MemorySegment preact;

        Cpu(CpuBinding b) { super(Dense.this.name(), b); }

        @Override public void allocate() {
            if (activation.derivativeNeedsInput()) preact = dev.panamacnn.tensor.Tensor.allocateFloats(b.arena(), (long) b.capacity() * units);
        }

        @Override public void forward(Step s) {
            int n = s.n();
            MemorySegment x = b.in(), out = b.out();
            long kOff = paramOffset, bOff = paramOffset + (long) in * units;
            if (n <= Flags.GEMV_ROWS && preact == null) { forwardFew(s, n, x, out, kOff, bOff); return; }
            if (s.frozen() && Gemm.packedMatches(n)) {
                // predict: the kernel packed once per weights version, not on every call (4 MB for the tutorial's)
                packForGemm(kOff);
                Gemm.gemmPacked(ex.pool(), ex.gemmScratch(), n, units, in, x, 0, in, gemmPacked, out, 0, units);
            } else {
                Gemm.gemm(ex.pool(), ex.gemmScratch(), false, false, n, units, in, x, 0, in, params, kOff, units, false, out, 0, units);
            }
            int chunks = (n + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK;
            ex.pool().forEach(chunks, (ch, wk) -> {
                int r0 = ch * ROWS_PER_CHUNK, rows = Math.min(ROWS_PER_CHUNK, n - r0);
                long off = (long) r0 * units;
                ActivationOps.biasActivationForward(out, off, rows, units, useBias ? params : null, bOff, preact != null ? Activation.LINEAR : activation);
                if (preact != null) {
                    MemorySegment.copy(out, off * 4, preact, off * 4, (long) rows * units * 4);
                    for (long i = off, e = off + (long) rows * units; i < e; i++) {
                        out.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, ActivationOps.scalar(activation, out.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i)));
                    }
                }
            });
        }

        /**
         * For predict on few samples: the kernel as {@link Gemv#BLOCK}-column blocks, each contiguous ({@code in x BLOCK}),
         * the last one zero-padded; made once per weights version. The last block's padded results go to {@code tail}.
         */
        private MemorySegment packed, tail;
        private long packedVersion = -1;
        /** Whether every kernel weight was finite when {@link #packed} was made: only then may zero inputs be skipped. */
        private boolean packedFinite;

        /**
         * A few samples (a batch of 1 for latency): the kernel streamed once by {@link Gemv} (the same sums as the
         * GEMM), its column blocks split between the threads when there are enough of them to pay for the hand-off,
         * bias and activation applied by whichever thread made the columns. In {@code predict} ({@link Step#frozen})
         * the kernel is read from the packed copy: in place, a kernel of 1000 units has rows 4000 bytes apart, so
         * half of the vector loads straddle two cache lines and a ragged last block runs as single-vector chains;
         * packed, every load is aligned and every block has eight independent FMA chains (docs/performance.md).
         */
        private void forwardFew(Step s, int n, MemorySegment x, MemorySegment out, long kOff, long bOff) {
            int blocks = (units + Gemv.BLOCK - 1) / Gemv.BLOCK;
            boolean usePacked = s.frozen() && Flags.GEMV_PACK;
            if (usePacked) pack(kOff, blocks);
            fewSparse = usePacked && packedFinite && Flags.GEMV_SPARSE;
            if (fewSparse) {
                if (nzIdx == null) { nzIdx = new int[in]; nzBlocks = new int[(in + Gemm.KC - 1) / Gemm.KC + 1]; }
                Gemv.nonzeroColumns(n, in, x, 0, in, nzIdx, nzBlocks);
            }
            int parts = Math.min(ex.pool().threads(), blocks / 2);
            if (parts <= 1 || !Flags.GEMV_SPLIT || activation == Activation.SOFTMAX) {
                columns(n, x, out, kOff, 0, blocks, usePacked);
                ActivationOps.biasActivationForward(out, 0, n, units, useBias ? params : null, bOff, activation);
                return;
            }
            fewN = n; fewParts = parts; fewPacked = usePacked;
            ex.pool().forEachPinned(parts, fewPart);   // each thread re-reads the half of the kernel it read last time
        }

        /** One thread's share of a split GEMV call (a field, so the call allocates no lambda); the call's state is in the few* fields. */
        private int fewN, fewParts;
        private boolean fewPacked, fewSparse;
        /** The call's input columns with a nonzero in some row, and where each K block starts among them ({@link Gemv#nonzeroColumns}). */
        private int[] nzIdx, nzBlocks;
        private final dev.panamacnn.runtime.Parallel.Body fewPart = (p, wk) -> {
            int blocks = (units + Gemv.BLOCK - 1) / Gemv.BLOCK, n = fewN, parts = fewParts;
            long kOff = paramOffset, bOff = paramOffset + (long) in * units;
            MemorySegment out = b.out();
            int b0 = (int) ((long) p * blocks / parts), b1 = (int) ((long) (p + 1) * blocks / parts);
            columns(n, b.in(), out, kOff, b0, b1, fewPacked);
            int j0 = b0 * Gemv.BLOCK, j1 = Math.min(units, b1 * Gemv.BLOCK);
            for (int r = 0; r < n; r++) {
                ActivationOps.biasActivationColumns(out, (long) r * units, j0, j1, useBias ? params : null, bOff, activation);
            }
        };

        /** The output columns of blocks {@code [b0, b1)}: from the packed copy when asked, else in place. */
        private void columns(int n, MemorySegment x, MemorySegment out, long kOff, int b0, int b1, boolean usePacked) {
            if (!usePacked) {
                Gemv.gemv(n, in, b0 * Gemv.BLOCK, Math.min(units, b1 * Gemv.BLOCK), x, 0, in, params, kOff, units, false, out, 0, units);
                return;
            }
            for (int blk = b0; blk < b1; blk++) {
                long src = (long) blk * in * Gemv.BLOCK;
                int j = blk * Gemv.BLOCK, w = Math.min(Gemv.BLOCK, units - j), pw = packedWidth(w);
                if (w == pw) {
                    if (fewSparse) Gemv.gemvSparse(n, in, 0, pw, x, 0, in, packed, src, pw, false, out, j, units, nzIdx, nzBlocks);
                    else Gemv.gemv(n, in, 0, pw, x, 0, in, packed, src, pw, false, out, j, units);
                } else {
                    if (fewSparse) Gemv.gemvSparse(n, in, 0, pw, x, 0, in, packed, src, pw, false, tail, 0, pw, nzIdx, nzBlocks);
                    else Gemv.gemv(n, in, 0, pw, x, 0, in, packed, src, pw, false, tail, 0, pw);
                    for (int r = 0; r < n; r++) MemorySegment.copy(tail, (long) r * pw * 4, out, ((long) r * units + j) * 4, w * 4L);
                }
            }
        }

        /** Predict's kernel in the GEMM's packed panels ({@link Gemm#packB}), made at weights version {@code gemmVersion}. */
        private MemorySegment gemmPacked;
        private long gemmVersion = -1;

        private void packForGemm(long kOff) {
            long v = b.weightsVersion().get();
            if (gemmPacked != null && gemmVersion == v) return;
            if (gemmPacked == null) gemmPacked = dev.panamacnn.tensor.Tensor.allocateFloats(b.arena(), Gemm.packedSize(in, units));
            Gemm.packB(false, in, units, params, kOff, units, gemmPacked);
            gemmVersion = v;
        }

        /** Makes the packed copy of the kernel, if the weights changed since it was made. */
        private void pack(long kOff, int blocks) {
            long v = b.weightsVersion().get();
            if (packed != null && packedVersion == v) return;
            if (packed == null) {
                packed = dev.panamacnn.tensor.Tensor.allocateFloats(b.arena(), (long) blocks * in * Gemv.BLOCK);
                tail = dev.panamacnn.tensor.Tensor.allocateFloats(b.arena(), (long) Flags.GEMV_ROWS * Gemv.BLOCK);
            }
            for (int blk = 0; blk < blocks; blk++) {
                int w = Math.min(Gemv.BLOCK, units - blk * Gemv.BLOCK), pw = packedWidth(w);
                for (int kk = 0; kk < in; kk++) {
                    long d = ((long) blk * in * Gemv.BLOCK + (long) kk * pw) * 4;
                    MemorySegment.copy(params, (kOff + (long) kk * units + (long) blk * Gemv.BLOCK) * 4, packed, d, w * 4L);
                    if (w < pw) packed.asSlice(d + w * 4L, (long) (pw - w) * 4).fill((byte) 0);
                }
            }
            packedFinite = Gemv.allFinite(params, kOff, (long) in * units);
            packedVersion = v;
        }

        /**
         * The width a block of {@code w} columns is packed at: a whole block ({@link Gemv#BLOCK}, eight FMA chains), or,
         * for a last block of at most half that, its columns rounded up to whole vectors, so that a 10-unit layer reads
         * 16 columns of its kernel (64 KB for 1000 inputs), not 128 (512 KB) of which 118 are zeros.
         */
        private static int packedWidth(int w) {
            int vectors = (w + Gemv.LANES - 1) / Gemv.LANES * Gemv.LANES;
            return vectors <= Gemv.BLOCK / 2 ? vectors : Gemv.BLOCK;
        }

        @Override public void backward(Step s) {
            int n = s.n();
            MemorySegment x = b.in(), out = b.out(), dOut = b.dOut(), dIn = b.dIn();
            long kOff = paramOffset, bOff = paramOffset + (long) in * units;
            if (!b.preActivation() && activation != Activation.LINEAR) {
                int chunks = (n + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK;
                ex.pool().forEach(chunks, (ch, wk) -> {
                    int r0 = ch * ROWS_PER_CHUNK, rows = Math.min(ROWS_PER_CHUNK, n - r0);
                    if (preact != null) ActivationOps.activationBackwardFromInput(preact, dOut, (long) r0 * units, (long) rows * units, activation);
                    else ActivationOps.activationBackward(out, dOut, (long) r0 * units, rows, units, activation);
                });
            }
            Gemm.gemm(ex.pool(), ex.gemmScratch(), true, false, in, units, n, x, 0, in, dOut, 0, units, false, grads, kOff, units);
            if (useBias) {
                Vec.zero(grads, bOff, units);
                Vec.addColumnSums(dOut, 0, n, units, grads, bOff);
            }
            if (dIn != null) {
                Gemm.gemm(ex.pool(), ex.gemmScratch(), false, true, n, in, units, dOut, 0, units, params, kOff, units, false, dIn, 0, in);
            }
        }
    }
}
