package dev.panamacnn.gpu.ops;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.gpu.kernels.Elementwise;
import dev.panamacnn.nn.ActivationLayer;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.LeakyReLU;
import dev.panamacnn.nn.ReLU;
import dev.panamacnn.nn.Rescaling;
import dev.panamacnn.opencl.ClKernel;

/**
 * The element-wise layers on OpenCL ({@link Elementwise}): Activation (every element-wise activation but gelu; softmax
 * only ends a model, fused with the loss), ReLU, LeakyReLU and Rescaling.
 */
public final class ElementwiseOp extends ClOp {
    ElementwiseOp(Layer l, ClBinding b) {
        super(l.name());
        int mode, act = 0, hasMax = 0;
        float max = 0, slope = 0, threshold = 0, scale = 1, offset = 0;
        if (l instanceof ActivationLayer a) {
            Activation f = a.activation();
            if (f == Activation.GELU) throw new IllegalArgumentException("the OpenCL backend has no kernel for the gelu activation (" + l.name() + ")");
            if (f == Activation.SOFTMAX) throw new IllegalArgumentException("the OpenCL backend supports softmax only on the last (Dense) layer, not on " + l.name());
            mode = f == Activation.SWISH ? 3 : 0;
            if (mode == 0) act = act(f);
        } else if (l instanceof ReLU r) {
            mode = 1;
            hasMax = r.maxValue() != null ? 1 : 0;
            max = r.maxValue() != null ? r.maxValue() : 0;
            slope = r.negativeSlope();
            threshold = r.threshold();
        } else if (l instanceof LeakyReLU r) {
            mode = 1;
            slope = r.negativeSlope();
        } else if (l instanceof Rescaling r) {
            mode = 2;
            scale = r.scale();
            offset = r.offset();
        } else {
            throw new IllegalArgumentException("the OpenCL backend has no element-wise kernel for " + l.kerasClassName());
        }
        int per = l.outputShape().size();
        ClKernel fwd = b.lib().create(Elementwise.class, l.name() + " forward").set("x", b.in()).set("y", b.out()).set("dy", b.out()).set("dx", b.out())
                .set("mode", mode).set("act", act).set("hasMax", hasMax).set("maxValue", max).set("slope", slope).set("threshold", threshold)
                .set("scale", scale).set("offset", offset).set("backward", 0);
        forward.add(new Launch(l.name() + " forward", n -> fwd.set("count", n * per).launch((long) n * per, LOCAL)));
        if (b.dOut() == null || b.dIn() == null) return;
        // the model's last layer (a softmax or sigmoid Activation) gets the gradient w.r.t. its input from the loss: passed on as it is
        boolean pass = b.last();
        ClKernel bwd = b.lib().create(Elementwise.class, l.name() + " input gradient").set("x", b.in()).set("y", b.out()).set("dy", b.dOut()).set("dx", b.dIn())
                .set("mode", pass ? 2 : mode).set("act", act).set("hasMax", hasMax).set("maxValue", max).set("slope", slope).set("threshold", threshold)
                .set("scale", pass ? 1f : scale).set("offset", offset).set("backward", 1);
        backward.add(new Launch(l.name() + " input gradient", n -> bwd.set("count", n * per).launch((long) n * per, LOCAL)));
    }
}
