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

/** Fully connected layer, like Keras' {@code Dense(units, activation=...)}: kernel {@code (in, units)}, bias {@code (units,)}. */
public final class Dense extends Layer {
    private static final int ROWS_PER_CHUNK = 8;
    private final int units;
    private final Activation activation;
    private final Shape declaredInput;
    private int in;

    /** Keras' config of a Dense layer (the fields panama-cnn writes). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Config(String name, int units, String activation, @JsonProperty("batch_input_shape") List<Integer> batchInputShape) {}

    public Dense(int units, Activation activation) { this(units, activation, null); }

    public Dense(int units, Activation activation, Shape inputShape) {
        if (units < 1) throw new IllegalArgumentException("Dense: units must be >= 1, got " + units);
        this.units = units;
        this.activation = activation == null ? Activation.LINEAR : activation;
        this.declaredInput = inputShape;
    }

    static Dense fromConfig(ConfigReader c) {
        return new Dense(c.posInt("units"), c.activation(), c.batchInputShape());
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
        return List.of(new ParamSpec("kernel", Shape.of(fin, units), ParamSpec.Init.GLOROT_UNIFORM, fin, units),
                new ParamSpec("bias", Shape.of(units), ParamSpec.Init.ZEROS, 0, 0));
    }

    @Override public Config config() {
        return new Config(name(), units, activation.kerasName(), batchShape(declaredInput));
    }

    @Override public CpuOp cpu(CpuBinding b) { return new Cpu(b); }

    /** The CPU pair: batch-wide GEMMs (the GEMM splits the work over the threads) and a fused bias + activation pass. */
    private final class Cpu extends CpuOp {
        Cpu(CpuBinding b) { super(Dense.this.name(), b); }

        @Override public void forward(Step s) {
            int n = s.n();
            MemorySegment x = b.in(), out = b.out();
            long kOff = paramOffset, bOff = paramOffset + (long) in * units;
            Gemm.gemm(ex.pool(), ex.gemmScratch(), false, false, n, units, in, x, 0, in, params, kOff, units, false, out, 0, units);
            int chunks = (n + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK;
            ex.pool().forEach(chunks, (ch, wk) -> {
                int r0 = ch * ROWS_PER_CHUNK, rows = Math.min(ROWS_PER_CHUNK, n - r0);
                ActivationOps.biasActivationForward(out, (long) r0 * units, rows, units, params, bOff, activation);
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
                    ActivationOps.activationBackward(out, dOut, (long) r0 * units, rows, units, activation);
                });
            }
            Gemm.gemm(ex.pool(), ex.gemmScratch(), true, false, in, units, n, x, 0, in, dOut, 0, units, false, grads, kOff, units);
            Vec.zero(grads, bOff, units);
            Vec.addColumnSums(dOut, 0, n, units, grads, bOff);
            if (dIn != null) {
                Gemm.gemm(ex.pool(), ex.gemmScratch(), false, true, n, in, units, dOut, 0, units, params, kOff, units, false, dIn, 0, in);
            }
        }
    }
}
