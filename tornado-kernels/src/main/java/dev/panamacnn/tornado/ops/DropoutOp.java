package dev.panamacnn.tornado.ops;

import dev.panamacnn.nn.Dropout;
import dev.panamacnn.runtime.CounterRng;
import dev.panamacnn.tornado.kernels.Kernels;
import uk.ac.manchester.tornado.api.TaskGraph;

/** Dropout on TornadoVM: the counter-based mask of {@link Kernels#dropout}, forward and on the gradient. */
public final class DropoutOp extends TornadoOp {
    private final TornadoBinding b;
    private final int per, seed, threshold;
    private final float scale;

    DropoutOp(Dropout l, TornadoBinding b) {
        super(l.name());
        this.b = b;
        per = l.outputShape().size();
        seed = l.effectiveSeed();
        threshold = CounterRng.threshold(l.rate());
        scale = 1f / (1f - l.rate());
    }

    @Override public void forward(TaskGraph g) {
        g.task(name() + "_forward", Kernels::dropout, b.in(), b.out(), b.meta(), per, seed, threshold, scale, 0, b.capacity() * per);
    }

    @Override public void backward(TaskGraph g) {
        if (b.dIn() == null) return;
        g.task(name() + "_input_gradient", Kernels::dropout, b.dOut(), b.dIn(), b.meta(), per, seed, threshold, scale, 1, b.capacity() * per);
    }
}
