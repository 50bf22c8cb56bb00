package dev.panamacnn.nn;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.panamacnn.activations.Activation;
import dev.panamacnn.ops.ActivationOps;
import dev.panamacnn.ops.Gemm;
import dev.panamacnn.ops.Vec;
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
            Gemm.gemm(ex.pool(), ex.gemmScratch(), false, false, n, units, in, x, 0, in, params, kOff, units, false, out, 0, units);
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
