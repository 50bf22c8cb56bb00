package dev.panamacnn.gpu.ops;

import dev.panamacnn.gpu.kernels.Act;
import dev.panamacnn.gpu.kernels.ActivationBackward;
import dev.panamacnn.gpu.kernels.Gemm;
import dev.panamacnn.opencl.ClBuffer;
import dev.panamacnn.opencl.ClContext;
import dev.panamacnn.opencl.ClKernel;
import dev.panamacnn.gpu.KernelLibrary;
import dev.panamacnn.gpu.kernels.Col2Im;
import dev.panamacnn.gpu.kernels.ConvGemmForward;
import dev.panamacnn.gpu.kernels.ConvGemmWeightGrad;
import dev.panamacnn.gpu.kernels.SumSlices;
import dev.panamacnn.nn.Conv2D;

/**
 * Conv2D on OpenCL: the forward pass as a GEMM over the implicit im2col matrix with bias and activation
 * ({@link ConvGemmForward}), the weight and bias gradients as per-slice partial products summed in slice order
 * ({@link ConvGemmWeightGrad}, {@link SumSlices}), and the input gradient as {@code dOut Wᵀ} then col2im.
 */
public final class Conv2DOp extends ClOp {
    /** Rows of the im2col matrix per slice of the split weight-gradient reduction. */
    static final int SLICE = 512;

    final ClKernel fwd, dW, sumW, dCols, col2im, actBwd;
    final int perOut, perIn, act, f, kk, outPositions;

    Conv2DOp(Conv2D l, ClBinding bd) {
        super(l.name());
        ClContext ctx = bd.ctx();
        KernelLibrary lib = bd.lib();
        ClBuffer params = bd.params(), grads = bd.grads(), in = bd.in(), out = bd.out(), dOut = bd.dOut(), dIn = bd.dIn();
        int ih = l.inputShape().dim(0), iw = l.inputShape().dim(1);
        boolean padded = l.paddedHeight() != ih || l.paddedWidth() != iw;
        long kOff = bd.paramOffset();
        boolean last = bd.last();
        int capacity = bd.capacity();
        // with same padding the kernels slide over a zero-bordered copy of the input, and the input gradient is cropped out of one
        int h = l.paddedHeight(), w = l.paddedWidth(), c = l.inputShape().dim(2);
        int oh = l.outputShape().dim(0), ow = l.outputShape().dim(1), f = l.filters();
        int kh = l.kernelHeight(), kw = l.kernelWidth();
        int bOff = (int) (kOff + (long) kh * kw * c * f);
        boolean bias = l.usesBias();
        perOut = oh * ow * f;
        perIn = h * w * c;
        int perRealIn = ih * iw * c;
        String name = l.name();
        ClBuffer src = in;
        if (padded) {
            src = ctx.buffer((long) capacity * perIn * 4, name + " padded input");
            ClKernel pad = lib.create(dev.panamacnn.gpu.kernels.PadImage.class, name + " padding").set("in", in).set("out", src)
                    .set("h", ih).set("w", iw).set("c", c).set("ph", h).set("pw", w).set("top", l.padTop()).set("left", l.padLeft());
            forward.add(new Launch(name + " padding", n -> pad.set("n", n).launch((long) n * perIn, LOCAL)));
        }
        this.f = f;
        kk = kh * kw * c;
        outPositions = oh * ow;
        act = act(l.activation());
        fwd = gemmDims(lib.create(ConvGemmForward.class, l.name() + " forward"), l, h, w, c, oh, ow, f)
                .set("in", src).set("params", params).set("out", out).set("kOff", (int) kOff).set("bOff", bOff).set("act", act)
                .set("hasBias", bias ? 1 : 0);
        forward.add(new Launch(name + " forward", n -> fwd.set("n", n).launch(Gemm.global((long) n * outPositions, f), new long[] {16, 16})));
        if (dOut == null) {   // an inference plan
            dW = sumW = dCols = col2im = actBwd = null;
            return;
        }
        int maxSlices = (capacity * outPositions + SLICE - 1) / SLICE;
        // kernel and bias gradients together: kk + 1 rows (the bias follows the kernel in the parameter layout)
        ClBuffer partial = ctx.buffer((long) maxSlices * (kk + 1) * f * 4, l.name() + " weight-gradient slices");
        dW = gemmDims(lib.create(ConvGemmWeightGrad.class, l.name() + " weight gradient"), l, h, w, c, oh, ow, f)
                .set("in", src).set("dOut", dOut).set("partial", partial).set("slice", SLICE);
        sumW = lib.create(SumSlices.class, l.name() + " weight gradient sum").set("partial", partial).set("out", grads)
                .set("count", (bias ? kk + 1 : kk) * f).set("stride", (kk + 1) * f).set("outOff", (int) kOff);
        ClBuffer target = null;
        if (dIn == null) {
            dCols = null;
            col2im = null;
        } else {
            // dcols = dOut W^T (rows x kk), then a gather into the input gradient
            ClBuffer cols = ctx.buffer((long) capacity * outPositions * kk * 4, l.name() + " column gradient");
            dCols = lib.create(Gemm.class, l.name() + " column gradient").set("a", dOut).set("b", params).set("c", cols)
                    .set("nn", kk).set("k", f).set("aOff", 0).set("ars", f).set("acs", 1)
                    .set("bOff", (int) kOff).set("brs", 1).set("bcs", f).set("cOff", 0).set("ldc", kk)
                    .set("biasOff", -1).set("act", Act.LINEAR);
            target = padded ? ctx.buffer((long) capacity * perIn * 4, name + " padded input gradient") : dIn;
            col2im = lib.create(Col2Im.class, l.name() + " input gradient").set("dcols", cols).set("dIn", target)
                    .set("h", h).set("w", w).set("c", c).set("kh", kh).set("kw", kw).set("sh", l.strideY()).set("sw", l.strideX())
                    .set("oh", oh).set("ow", ow).set("kk", kk);
        }
        actBwd = act == Act.LINEAR ? null : lib.create(ActivationBackward.class, l.name() + " activation gradient")
                .set("y", out).set("d", dOut).set("act", act);
        if (!last && actBwd != null) {
            backward.add(new Launch(name + " activation gradient", n -> actBwd.set("count", n * perOut).launch((long) n * perOut, LOCAL)));
        }
        backward.add(new Launch(name + " weight and bias gradient", n -> {
            int rows = n * outPositions, slices = (rows + SLICE - 1) / SLICE;
            long[] g = Gemm.global(kk + 1, f);
            dW.set("n", n).launch(new long[] {g[0], g[1], slices}, new long[] {16, 16, 1});
            sumW.set("slices", slices).launch((long) (kk + 1) * f, LOCAL);
        }));
        if (dCols != null) {
            backward.add(new Launch(name + " column gradient", n -> dCols.set("m", n * outPositions).launch(Gemm.global((long) n * outPositions, kk), new long[] {16, 16})));
            backward.add(new Launch(name + " input gradient", n -> col2im.set("n", n).launch((long) n * perIn, LOCAL)));
            if (padded) {
                ClKernel crop = lib.create(dev.panamacnn.gpu.kernels.CropImage.class, name + " input gradient crop").set("in", target).set("out", dIn)
                        .set("h", ih).set("w", iw).set("c", c).set("ph", h).set("pw", w).set("top", l.padTop()).set("left", l.padLeft());
                backward.add(new Launch(name + " input gradient crop", n -> crop.set("n", n).launch((long) n * perRealIn, LOCAL)));
            }
        }
    }

    private static ClKernel gemmDims(ClKernel k, Conv2D l, int h, int w, int c, int oh, int ow, int f) {
        return k.set("h", h).set("w", w).set("c", c).set("kw", l.kernelWidth()).set("sh", l.strideY()).set("sw", l.strideX())
                .set("oh", oh).set("ow", ow).set("f", f).set("kk", l.kernelHeight() * l.kernelWidth() * c);
    }

}
