package dev.panamacnn.gpu.ops;

import dev.panamacnn.gpu.kernels.GlobalPool;
import dev.panamacnn.gpu.kernels.GlobalPoolBackward;
import dev.panamacnn.gpu.kernels.PoolBackward;
import dev.panamacnn.gpu.kernels.PoolForward;
import dev.panamacnn.nn.AveragePooling2D;
import dev.panamacnn.nn.GlobalMaxPooling2D;
import dev.panamacnn.nn.GlobalPooling2D;
import dev.panamacnn.opencl.ClBuffer;
import dev.panamacnn.opencl.ClKernel;

/** AveragePooling2D and the global poolings on OpenCL: one work-item per output forward, a gather per input element backward. */
public final class PoolOp extends ClOp {
    static ClKernel dims(ClKernel k, int h, int w, int c, int ph, int pw, int sh, int sw, int oh, int ow, int top, int left, int max) {
        return k.set("h", h).set("w", w).set("c", c).set("ph", ph).set("pw", pw).set("sh", sh).set("sw", sw)
                .set("oh", oh).set("ow", ow).set("top", top).set("left", left).set("max", max);
    }

    /** AveragePooling2D. */
    PoolOp(AveragePooling2D l, ClBinding b) {
        super(l.name());
        int h = l.inputShape().dim(0), w = l.inputShape().dim(1), c = l.inputShape().dim(2);
        int oh = l.outputShape().dim(0), ow = l.outputShape().dim(1), perOut = oh * ow * c, perIn = h * w * c;
        ClBuffer none = b.ctx().buffer(4, l.name() + " (no arg-max)");
        ClKernel fwd = dims(b.lib().create(PoolForward.class, l.name() + " forward"), h, w, c, l.poolHeight(), l.poolWidth(), l.strideY(), l.strideX(),
                oh, ow, l.padTop(), l.padLeft(), 0).set("in", b.in()).set("out", b.out()).set("argmax", none);
        forward.add(new Launch(l.name() + " forward", n -> fwd.set("n", n).launch((long) n * perOut, LOCAL)));
        if (b.dOut() == null || b.dIn() == null) return;
        ClKernel bwd = dims(b.lib().create(PoolBackward.class, l.name() + " input gradient"), h, w, c, l.poolHeight(), l.poolWidth(), l.strideY(), l.strideX(),
                oh, ow, l.padTop(), l.padLeft(), 0).set("dOut", b.dOut()).set("dIn", b.dIn()).set("argmax", none);
        backward.add(new Launch(l.name() + " input gradient", n -> bwd.set("n", n).launch((long) n * perIn, LOCAL)));
    }

    /** GlobalAveragePooling2D and GlobalMaxPooling2D. */
    PoolOp(GlobalPooling2D l, ClBinding b) {
        super(l.name());
        int pixels = l.inputShape().dim(0) * l.inputShape().dim(1), c = l.inputShape().dim(2);
        int max = l instanceof GlobalMaxPooling2D ? 1 : 0;
        ClBuffer argmax = b.ctx().buffer(max == 1 ? (long) b.capacity() * c * 4 : 4, l.name() + " argmax");
        ClKernel fwd = b.lib().create(GlobalPool.class, l.name() + " forward").set("in", b.in()).set("out", b.out()).set("argmax", argmax)
                .set("pixels", pixels).set("c", c).set("max", max);
        forward.add(new Launch(l.name() + " forward", n -> fwd.set("n", n).launch((long) n * c, LOCAL)));
        if (b.dOut() == null || b.dIn() == null) return;
        ClKernel bwd = b.lib().create(GlobalPoolBackward.class, l.name() + " input gradient").set("dOut", b.dOut()).set("dIn", b.dIn())
                .set("argmax", argmax).set("pixels", pixels).set("c", c).set("max", max);
        backward.add(new Launch(l.name() + " input gradient", n -> bwd.set("n", n).launch((long) n * pixels * c, LOCAL)));
    }
}
