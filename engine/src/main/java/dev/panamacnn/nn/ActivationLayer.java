package dev.panamacnn.nn;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.ops.ActivationOps;
import dev.panamacnn.tensor.Shape;

import java.lang.foreign.MemorySegment;

/**
 * Keras' {@code Activation(activation)} layer (class name {@code Activation}; named so here to stay apart from the
 * {@link Activation} enum), and, through {@link #softmax()}, Keras' {@code Softmax(axis=-1)} layer. Softmax is taken
 * over the last axis. As the model's last layer its softmax is fused with the cross-entropy, like a Dense softmax.
 */
public class ActivationLayer extends Layer {
    private final Activation activation;

    /** Keras' config of an Activation layer. */
    public record Config(String name, String activation) {}

    public ActivationLayer(Activation activation) {
        if (activation == null) throw new IllegalArgumentException("Activation: the activation is required");
        this.activation = activation;
    }

    /** Keras' {@code Softmax()} layer. */
    public static ActivationLayer softmax() { return new Softmax(); }

    static ActivationLayer fromConfig(ConfigReader c) { return new ActivationLayer(c.activation()); }

    @Override public String kerasClassName() { return "Activation"; }
    @Override public Activation activation() { return activation; }
    @Override public Record config() { return new Config(name(), activation.kerasName()); }
    @Override protected Shape computeOutputShape(Shape input) { return input; }
    @Override public CpuOp cpu(CpuBinding b) { return new Cpu(b); }

    /** Keras' {@code Softmax(axis=-1)}. */
    public static final class Softmax extends ActivationLayer {
        /** Keras' config of a Softmax layer. */
        public record Config(String name, int axis) {}

        public Softmax() { super(Activation.SOFTMAX); }

        static Softmax fromConfig(ConfigReader c) {
            c.expectInt("axis", -1);
            return new Softmax();
        }

        @Override public String kerasClassName() { return "Softmax"; }
        @Override public Record config() { return new Config(name(), -1); }
    }

    /** Groupwise over samples: the vectorized activation pass of the other layers, the derivative from the output or (gelu, swish) the input. */
    private final class Cpu extends CpuOp {
        Cpu(CpuBinding b) { super(ActivationLayer.this.name(), b); }

        private int cols() { Shape s = outputShape(); return s.dim(s.rank() - 1); }

        @Override public boolean groupwise() { return true; }

        @Override public void forwardGroup(Step s) {
            long per = outputShape().size();
            int cols = cols();
            MemorySegment in = b.in(), out = b.out();
            long off = s.start() * per, n = (s.end() - s.start()) * per;
            MemorySegment.copy(in, off * 4, out, off * 4, n * 4);
            ActivationOps.biasActivationForward(out, off, (int) (n / cols), cols, null, 0, activation);
        }

        @Override public void backward(Step s) {
            if (b.dIn() != null) super.backward(s);
        }

        @Override public void backwardGroup(Step s) {
            if (b.dIn() == null) return;   // the first layer with work: no input gradient (the group schedule calls this directly)
            long per = outputShape().size();
            int cols = cols();
            MemorySegment dOut = b.dOut(), dIn = b.dIn();
            long off = s.start() * per, n = (s.end() - s.start()) * per;
            MemorySegment.copy(dOut, off * 4, dIn, off * 4, n * 4);
            if (b.preActivation()) return;   // the last layer: the loss gave the gradient w.r.t. the softmax's input
            if (activation.derivativeNeedsInput()) ActivationOps.activationBackwardFromInput(b.in(), dIn, off, n, activation);
            else ActivationOps.activationBackward(b.out(), dIn, off, (int) (n / cols), cols, activation);
        }
    }
}
