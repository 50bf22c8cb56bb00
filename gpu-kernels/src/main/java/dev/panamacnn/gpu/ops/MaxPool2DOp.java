package dev.panamacnn.gpu.ops;

import dev.panamacnn.gpu.KernelLibrary;
import dev.panamacnn.gpu.kernels.MaxPoolBackward;
import dev.panamacnn.gpu.kernels.MaxPoolForward;
import dev.panamacnn.nn.MaxPool2D;
import dev.panamacnn.opencl.ClBuffer;
import dev.panamacnn.opencl.ClContext;
import dev.panamacnn.opencl.ClKernel;

/** MaxPooling2D on OpenCL: one work-item per output (keeping the arg-max), one per input for the gradient. */
public final class MaxPool2DOp extends ClOp {
    final ClKernel fwd, bwd;
    final int perOut, perIn;

    MaxPool2DOp(MaxPool2D l, ClBinding bd) {
        super(l.name());
        ClContext ctx = bd.ctx();
        KernelLibrary lib = bd.lib();
        ClBuffer in = bd.in(), out = bd.out(), dOut = bd.dOut(), dIn = bd.dIn();
        int capacity = bd.capacity();
        int h = l.inputShape().dim(0), w = l.inputShape().dim(1), c = l.inputShape().dim(2);
        int oh = l.outputShape().dim(0), ow = l.outputShape().dim(1);
        perOut = oh * ow * c;
        perIn = h * w * c;
        ClBuffer argmax = ctx.buffer(capacity * l.kept().get(0).perSample() * 4, l.name() + " argmax");
        boolean valid = l.padding() == dev.panamacnn.nn.Padding.VALID;   // same padding: the clipped-window kernels
        int top = dev.panamacnn.nn.Padding.SAME.before(h, l.poolHeight(), l.strideY()), left = dev.panamacnn.nn.Padding.SAME.before(w, l.poolWidth(), l.strideX());
        fwd = valid ? dims(lib.create(MaxPoolForward.class, l.name() + " forward"), l, h, w, c, oh, ow).set("in", in).set("out", out).set("argmax", argmax)
                : PoolOp.dims(lib.create(dev.panamacnn.gpu.kernels.PoolForward.class, l.name() + " forward"), h, w, c, l.poolHeight(), l.poolWidth(),
                        l.strideY(), l.strideX(), oh, ow, top, left, 1).set("in", in).set("out", out).set("argmax", argmax);
        bwd = dIn == null || dOut == null ? null : valid
                ? dims(lib.create(MaxPoolBackward.class, l.name() + " input gradient"), l, h, w, c, oh, ow).set("dOut", dOut).set("dIn", dIn).set("argmax", argmax)
                : PoolOp.dims(lib.create(dev.panamacnn.gpu.kernels.PoolBackward.class, l.name() + " input gradient"), h, w, c, l.poolHeight(), l.poolWidth(),
                        l.strideY(), l.strideX(), oh, ow, top, left, 1).set("dOut", dOut).set("dIn", dIn).set("argmax", argmax);
        forward.add(new Launch(l.name() + " forward", n -> fwd.set("n", n).launch((long) n * perOut, LOCAL)));
        if (bwd != null) backward.add(new Launch(l.name() + " input gradient", n -> bwd.set("n", n).launch((long) n * perIn, LOCAL)));
    }

    private static ClKernel dims(ClKernel k, MaxPool2D l, int h, int w, int c, int oh, int ow) {
        return k.set("h", h).set("w", w).set("c", c).set("ph", l.poolHeight()).set("pw", l.poolWidth())
                .set("sh", l.strideY()).set("sw", l.strideX()).set("oh", oh).set("ow", ow);
    }

}
