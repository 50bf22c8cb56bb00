package dev.panamacnn.gpu.ops;

import dev.panamacnn.gpu.kernels.DropoutKernel;
import dev.panamacnn.nn.Dropout;
import dev.panamacnn.opencl.ClKernel;
import dev.panamacnn.runtime.CounterRng;

/** Dropout on OpenCL: the same counter-based mask forward (input to output) and backward (output gradient to input gradient). */
public final class DropoutOp extends ClOp {
    DropoutOp(Dropout l, ClBinding b) {
        super(l.name());
        int per = l.outputShape().size();
        float rate = l.rate();
        ClKernel fwd = b.lib().create(DropoutKernel.class, l.name() + " forward").set("src", b.in()).set("dst", b.out())
                .set("perSample", per).set("seed", l.effectiveSeed()).set("threshold", CounterRng.threshold(rate)).set("scale", 1f / (1f - rate));
        forward.add(new Launch(l.name() + " forward", n -> fwd.set("count", n * per).set("step", (int) step().iteration())
                .set("train", step().training() && rate > 0f ? 1 : 0).launch((long) n * per, LOCAL)));
        if (b.dOut() == null || b.dIn() == null) return;
        ClKernel bwd = b.lib().create(DropoutKernel.class, l.name() + " input gradient").set("src", b.dOut()).set("dst", b.dIn())
                .set("perSample", per).set("seed", l.effectiveSeed()).set("threshold", CounterRng.threshold(rate)).set("scale", 1f / (1f - rate));
        backward.add(new Launch(l.name() + " input gradient", n -> bwd.set("count", n * per).set("step", (int) step().iteration())
                .set("train", rate > 0f ? 1 : 0).launch((long) n * per, LOCAL)));
    }
}
