package dev.panamacnn.gpu.ops;

import dev.panamacnn.gpu.kernels.Act;
import dev.panamacnn.gpu.kernels.ActivationBackward;
import dev.panamacnn.gpu.kernels.Gemm;
import dev.panamacnn.opencl.ClBuffer;
import dev.panamacnn.opencl.ClContext;
import dev.panamacnn.opencl.ClKernel;
import dev.panamacnn.gpu.KernelLibrary;
import dev.panamacnn.gpu.kernels.ColumnSum;
import dev.panamacnn.nn.Dense;

/** Dense on OpenCL: {@code X W + b} with the activation fused, {@code Xᵀ dY}, column sums, and {@code dY Wᵀ}. */
public final class DenseOp extends ClOp {
    final ClKernel fwd, dW, dB, dX, actBwd;
    final int in, units, act;

    DenseOp(Dense l, ClBinding bd) {
        super(l.name());
        KernelLibrary lib = bd.lib();
        ClBuffer params = bd.params(), grads = bd.grads(), input = bd.in(), out = bd.out(), dOut = bd.dOut(), dIn = bd.dIn();
        long kOff = bd.paramOffset();
        boolean last = bd.last();
        in = l.inputShape().size();
        units = l.units();
        act = act(l.activation());
        int bOff = (int) (kOff + (long) in * units);
        boolean bias = l.usesBias();
        // Y = X W + b: A = X (n x in), B = W (in x units)
        fwd = lib.create(Gemm.class, l.name() + " forward").set("a", input).set("b", params).set("c", out)
                .set("nn", units).set("k", in).set("aOff", 0).set("ars", in).set("acs", 1)
                .set("bOff", (int) kOff).set("brs", units).set("bcs", 1).set("cOff", 0).set("ldc", units)
                .set("biasOff", bias ? bOff : -1).set("act", act);
        String name = l.name();
        forward.add(new Launch(name + " forward", n -> gemm(fwd.set("m", n), n, units)));
        if (dOut == null) {   // an inference plan
            dW = dB = dX = actBwd = null;
            return;
        }
        // dW = X^T dY: A(i, l) = X[l, i] (in x n), B = dY (n x units)
        dW = lib.create(Gemm.class, l.name() + " weight gradient").set("a", input).set("b", dOut).set("c", grads)
                .set("m", in).set("nn", units).set("aOff", 0).set("ars", 1).set("acs", in)
                .set("bOff", 0).set("brs", units).set("bcs", 1).set("cOff", (int) kOff).set("ldc", units)
                .set("biasOff", -1).set("act", Act.LINEAR);
        dB = lib.create(ColumnSum.class, l.name() + " bias gradient").set("d", dOut).set("out", grads)
                .set("cols", units).set("outOff", bOff);
        // dX = dY W^T: A = dY (n x units), B(l, j) = W[j, l] (units x in)
        dX = dIn == null ? null : lib.create(Gemm.class, l.name() + " input gradient").set("a", dOut).set("b", params).set("c", dIn)
                .set("nn", in).set("k", units).set("aOff", 0).set("ars", units).set("acs", 1)
                .set("bOff", (int) kOff).set("brs", 1).set("bcs", units).set("cOff", 0).set("ldc", in)
                .set("biasOff", -1).set("act", Act.LINEAR);
        actBwd = act == Act.LINEAR ? null : lib.create(ActivationBackward.class, l.name() + " activation gradient")
                .set("y", out).set("d", dOut).set("act", act);
        if (!last && actBwd != null) {
            backward.add(new Launch(name + " activation gradient", n -> actBwd.set("count", n * units).launch((long) n * units, LOCAL)));
        }
        backward.add(new Launch(name + " weight gradient", n -> gemm(dW.set("k", n), in, units)));
        if (bias) backward.add(new Launch(name + " bias gradient", n -> dB.set("rows", n).launch(units, LOCAL)));
        if (dX != null) backward.add(new Launch(name + " input gradient", n -> gemm(dX.set("m", n), n, in)));
    }

    private static void gemm(ClKernel k, int rows, int cols) {
        k.launch(Gemm.global(rows, cols), new long[] {16, 16});
    }
}
