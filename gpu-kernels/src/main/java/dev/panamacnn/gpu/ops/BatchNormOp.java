package dev.panamacnn.gpu.ops;

import dev.panamacnn.gpu.kernels.BatchNormBackward;
import dev.panamacnn.gpu.kernels.BatchNormForward;
import dev.panamacnn.gpu.kernels.BatchNormInputGradient;
import dev.panamacnn.gpu.kernels.BatchNormStats;
import dev.panamacnn.nn.BatchNormalization;
import dev.panamacnn.opencl.ClBuffer;
import dev.panamacnn.opencl.ClKernel;

/**
 * BatchNormalization on OpenCL: in training, the per-channel statistics (one work-item per channel, rows in order)
 * that also move the moving statistics in the parameter buffer, then the normalization per element; in inference,
 * the moving statistics. Backward: per-channel sums, then the input gradient per element. The optimizer kernels leave
 * the moving statistics alone: their gradient is 0, so Adam's and SGD's steps on them are exactly 0.
 */
public final class BatchNormOp extends ClOp {
    BatchNormOp(BatchNormalization l, ClBinding b) {
        super(l.name());
        int c = l.outputShape().dim(l.outputShape().rank() - 1), per = l.outputShape().size(), pixels = per / c;
        long o = b.paramOffset();
        int gammaOff = l.scale() ? (int) o : -1;
        if (l.scale()) o += c;
        int betaOff = l.center() ? (int) o : -1;
        if (l.center()) o += c;
        int meanOff = (int) o, varOff = (int) o + c;
        ClBuffer stats = b.ctx().buffer(4L * c * 4, l.name() + " statistics");
        ClKernel st = b.lib().create(BatchNormStats.class, l.name() + " statistics").set("in", b.in()).set("params", b.params()).set("stats", stats)
                .set("c", c).set("meanOff", meanOff).set("varOff", varOff).set("momentum", l.momentum()).set("eps", l.epsilon());
        ClKernel fwd = b.lib().create(BatchNormForward.class, l.name() + " forward").set("in", b.in()).set("out", b.out()).set("params", b.params())
                .set("stats", stats).set("c", c).set("gammaOff", gammaOff).set("betaOff", betaOff).set("meanOff", meanOff).set("varOff", varOff)
                .set("eps", l.epsilon());
        forward.add(new Launch(l.name() + " forward", n -> {
            boolean train = step().training();
            if (train) st.set("rows", n * pixels).launch(c, LOCAL);
            fwd.set("count", n * per).set("train", train ? 1 : 0).launch((long) n * per, LOCAL);
        }));
        if (b.dOut() == null) return;
        ClKernel red = b.lib().create(BatchNormBackward.class, l.name() + " parameter gradient").set("in", b.in()).set("dOut", b.dOut())
                .set("stats", stats).set("grads", b.grads()).set("c", c).set("gammaOff", gammaOff).set("betaOff", betaOff)
                .set("meanOff", meanOff).set("varOff", varOff);
        backward.add(new Launch(l.name() + " parameter gradient", n -> red.set("rows", n * pixels).launch(c, LOCAL)));
        if (b.dIn() == null) return;
        ClKernel dx = b.lib().create(BatchNormInputGradient.class, l.name() + " input gradient").set("in", b.in()).set("dOut", b.dOut())
                .set("dIn", b.dIn()).set("params", b.params()).set("stats", stats).set("c", c).set("gammaOff", gammaOff);
        backward.add(new Launch(l.name() + " input gradient", n -> dx.set("count", n * per).set("rows", n * pixels).launch((long) n * per, LOCAL)));
    }
}
