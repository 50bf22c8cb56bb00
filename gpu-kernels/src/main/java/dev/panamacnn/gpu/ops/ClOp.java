package dev.panamacnn.gpu.ops;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.gpu.kernels.Act;
import dev.panamacnn.nn.LayerOp;
import dev.panamacnn.nn.Step;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * A layer's OpenCL op: its kernel launches, fixed when the backend plans the model. The forward list, and the
 * backward list, which already knows whether the output gradient is w.r.t. the pre-activation (the softmax layer)
 * and whether the input gradient is needed. Each launch is named, for profiles and benchmarks.
 */
public abstract class ClOp implements LayerOp {
    /** Work-group size of the one-dimensional kernels. */
    public static final int LOCAL = 64;

    /** One kernel launch of a step; {@code run} takes the batch size. */
    public record Launch(String name, IntConsumer run) {}

    private final String name;
    private Step step = Step.of(1, false, 0);
    public final List<Launch> forward = new ArrayList<>(), backward = new ArrayList<>();

    protected ClOp(String name) { this.name = name; }

    @Override public String name() { return name; }
    @Override public void forward(Step s) { step = s; for (Launch l : forward) l.run().accept(s.n()); }
    @Override public void backward(Step s) { step = s; for (Launch l : backward) l.run().accept(s.n()); }

    /** The step the op's launches run for (training or not, the step number), for ops whose kernels need it. */
    protected Step step() { return step; }

    /** The kernels' activation code. */
    protected static int act(Activation a) {
        return switch (a) {
            case LINEAR, SOFTMAX -> Act.LINEAR;
            case RELU -> Act.RELU;
            case SIGMOID -> Act.SIGMOID;
            case TANH -> Act.TANH;
            case ELU -> Act.ELU;
            case LEAKY_RELU -> Act.LEAKY_RELU;
            case GELU, SWISH -> throw new IllegalArgumentException("the OpenCL backend has no kernel for the " + a.kerasName()
                    + " activation inside a layer (its derivative needs the pre-activation)");
        };
    }
}
