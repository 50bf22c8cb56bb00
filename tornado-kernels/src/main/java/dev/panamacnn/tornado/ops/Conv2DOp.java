package dev.panamacnn.tornado.ops;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.tornado.kernels.Kernels;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Conv2D on TornadoVM: the forward pass, one work-item per output element ({@link Kernels#convForward}); the weight and
 * bias gradients as per-slice partial sums added in slice order ({@link Kernels#convWeightPartials},
 * {@link Kernels#sumSlices}); the input gradient gathered per input element ({@link Kernels#convInputGradient}).
 */
public final class Conv2DOp extends TornadoOp {
    /** Output rows per slice of the weight-gradient reduction. */
    static final int SLICE = 512;

    private final Conv2D l;
    private final TornadoBinding b;
    private final int h, w, c, oh, ow, f, kk, act, maxSlices;
    private final FloatArray partial;

    Conv2DOp(Conv2D l, TornadoBinding b) {
        super(l.name());
        if (l.padding() != dev.panamacnn.nn.Padding.VALID || !l.usesBias()) {
            throw new IllegalArgumentException("the TornadoVM backend runs Conv2D with padding=\"valid\" and a bias only, not " + l.name() + " " + l.config());
        }
        this.l = l;
        this.b = b;
        h = l.inputShape().dim(0); w = l.inputShape().dim(1); c = l.inputShape().dim(2);
        oh = l.outputShape().dim(0); ow = l.outputShape().dim(1); f = l.filters();
        kk = l.kernelHeight() * l.kernelWidth() * c;
        act = act(l.activation());
        maxSlices = (b.capacity() * oh * ow + SLICE - 1) / SLICE;
        partial = new FloatArray(maxSlices * (kk + 1) * f);
    }

    @Override public Object[] ownArrays() { return new Object[] {partial}; }

    @Override public void forward(TaskGraph g) {
        g.task(name() + "_forward", Kernels::convForward, b.in(), b.params(), b.out(), b.meta(), h, w, c, l.kernelHeight(), l.kernelWidth(),
                l.strideY(), l.strideX(), oh, ow, f, b.paramOffset(), b.paramOffset() + kk * f, act, b.capacity() * oh * ow);
    }

    @Override public void backward(TaskGraph g) {
        if (!b.last() && l.activation() != Activation.LINEAR) {
            g.task(name() + "_activation_gradient", Kernels::activationBackward, b.out(), b.dOut(), b.meta(), act, oh * ow * f, b.capacity() * oh * ow * f);
        }
        g.task(name() + "_weight_partials", Kernels::convWeightPartials, b.in(), b.dOut(), partial, b.meta(), h, w, c, l.kernelHeight(),
                l.kernelWidth(), l.strideY(), l.strideX(), oh, ow, f, SLICE, maxSlices);
        g.task(name() + "_weight_gradient", Kernels::sumSlices, partial, b.grads(), b.meta(), (kk + 1) * f, b.paramOffset(), oh * ow, SLICE);
        if (b.dIn() != null) {
            g.task(name() + "_input_gradient", Kernels::convInputGradient, b.dOut(), b.params(), b.dIn(), b.meta(), h, w, c, l.kernelHeight(),
                    l.kernelWidth(), l.strideY(), l.strideX(), oh, ow, f, b.paramOffset(), b.capacity() * h * w * c);
        }
    }
}
