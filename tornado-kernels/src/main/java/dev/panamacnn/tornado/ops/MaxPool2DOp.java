package dev.panamacnn.tornado.ops;

import dev.panamacnn.nn.MaxPool2D;
import dev.panamacnn.tornado.kernels.Kernels;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** MaxPooling2D on TornadoVM: one work-item per output (keeping the arg-max the layer declares), one per input for the gradient. */
public final class MaxPool2DOp extends TornadoOp {
    private final MaxPool2D l;
    private final TornadoBinding b;
    private final int h, w, c, oh, ow;
    private final IntArray argmax;

    MaxPool2DOp(MaxPool2D l, TornadoBinding b) {
        super(l.name());
        if (l.padding() != dev.panamacnn.nn.Padding.VALID) {
            throw new IllegalArgumentException("the TornadoVM backend runs MaxPooling2D with padding=\"valid\" only, not " + l.name());
        }
        this.l = l;
        this.b = b;
        h = l.inputShape().dim(0); w = l.inputShape().dim(1); c = l.inputShape().dim(2);
        oh = l.outputShape().dim(0); ow = l.outputShape().dim(1);
        argmax = new IntArray((int) (b.capacity() * l.kept().get(0).perSample()));
    }

    @Override public Object[] ownArrays() { return new Object[] {argmax}; }

    @Override public void forward(TaskGraph g) {
        g.task(name() + "_forward", Kernels::maxPoolForward, b.in(), b.out(), argmax, b.meta(), h, w, c, l.poolHeight(), l.poolWidth(),
                l.strideY(), l.strideX(), oh, ow, b.capacity() * oh * ow * c);
    }

    @Override public void backward(TaskGraph g) {
        if (b.dIn() == null) return;
        g.task(name() + "_input_gradient", Kernels::maxPoolBackward, b.dOut(), b.dIn(), argmax, b.meta(), h, w, c, l.poolHeight(), l.poolWidth(),
                l.strideY(), l.strideX(), oh, ow, b.capacity() * h * w * c);
    }
}
