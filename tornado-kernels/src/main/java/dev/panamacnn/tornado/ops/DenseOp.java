package dev.panamacnn.tornado.ops;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.tornado.kernels.Kernels;
import uk.ac.manchester.tornado.api.TaskGraph;

/** Dense on TornadoVM: {@code X W + b} with the activation fused, {@code [X 1]ᵀ dY} (kernel and bias gradients), {@code dY Wᵀ}. */
public final class DenseOp extends TornadoOp {
    private final Dense l;
    private final TornadoBinding b;
    private final int in, units, act;

    DenseOp(Dense l, TornadoBinding b) {
        super(l.name());
        if (!l.usesBias()) throw new IllegalArgumentException("the TornadoVM backend runs Dense with a bias only, not " + l.name());
        this.l = l;
        this.b = b;
        in = l.inputShape().size();
        units = l.units();
        act = act(l.activation());
    }

    @Override public void forward(TaskGraph g) {
        g.task(name() + "_forward", Kernels::denseForward, b.in(), b.params(), b.out(), b.meta(), in, units, b.paramOffset(),
                b.paramOffset() + in * units, act, b.capacity());
    }

    @Override public void backward(TaskGraph g) {
        if (!b.last() && l.activation() != Activation.LINEAR) {
            g.task(name() + "_activation_gradient", Kernels::activationBackward, b.out(), b.dOut(), b.meta(), act, units, b.capacity() * units);
        }
        g.task(name() + "_weight_gradient", Kernels::denseWeightGradient, b.in(), b.dOut(), b.grads(), b.meta(), in, units, b.paramOffset());
        if (b.dIn() != null) {
            g.task(name() + "_input_gradient", Kernels::denseInputGradient, b.dOut(), b.params(), b.dIn(), b.meta(), in, units, b.paramOffset(), b.capacity());
        }
    }
}
