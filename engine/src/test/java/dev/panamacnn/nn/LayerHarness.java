package dev.panamacnn.nn;

import dev.panamacnn.ops.Exec;
import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Runs one layer's CPU pair on its own: parameters, workspace and buffers for a batch of n, on T threads. */
public final class LayerHarness implements AutoCloseable, CpuBinding.Buffers {
    public static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    final Arena arena = Arena.ofShared();
    final Exec exec;
    public final Layer layer;
    public final int n, inSize, outSize, paramCount;
    public final MemorySegment params, grads, in, out, dOut, dIn;
    private final CpuOp op;
    private boolean wantDIn = true;

    public LayerHarness(Layer layer, Shape input, int n, int threads, long seed) { this(layer, input, n, threads, seed, false); }

    /** @param last whether the layer is bound as a model's last layer (its backward gets the pre-activation gradient) */
    public LayerHarness(Layer layer, Shape input, int n, int threads, long seed, boolean last) {
        this.layer = layer;
        this.n = n;
        Shape o = layer.build(layer.getClass().getSimpleName().toLowerCase(), input);
        inSize = input.size();
        outSize = o.size();
        paramCount = (int) layer.paramCount();
        params = Tensor.allocateFloats(arena, Math.max(1, paramCount));
        grads = Tensor.allocateFloats(arena, Math.max(1, paramCount));
        exec = new Exec(threads, arena);
        in = Tensor.allocateFloats(arena, (long) n * inSize);
        out = Tensor.allocateFloats(arena, (long) n * outSize);
        dOut = Tensor.allocateFloats(arena, (long) n * outSize);
        dIn = Tensor.allocateFloats(arena, (long) n * inSize);
        op = layer.cpu(new CpuBinding(exec, arena, n, params, grads, 0, this, 1, true, last, new dev.panamacnn.runtime.WeightsVersion()));
        if (op != null) op.allocate();
        Rng r = new Rng(seed);
        for (int i = 0; i < paramCount; i++) params.setAtIndex(F, i, (float) (r.nextGaussian() * 0.5));
        for (long i = 0; i < (long) n * inSize; i++) in.setAtIndex(F, i, (float) r.nextGaussian());
    }

    public void forward() { if (op != null) op.forward(Step.of(n, true, 1)); }

    /** Forward as training step {@code iteration}, or as inference. */
    public void forward(boolean training, long iteration) { if (op != null) op.forward(Step.of(n, training, iteration)); }

    /** Backward with a copy of {@code upstream} as dOut (layers may overwrite dOut). */
    public void backward(float[] upstream, boolean wantDIn) {
        MemorySegment.copy(upstream, 0, dOut, F, 0, upstream.length);
        this.wantDIn = wantDIn;
        if (op != null) op.backward(Step.of(n, true, 1));
    }

    @Override public MemorySegment input(int layer) { return in; }
    @Override public MemorySegment output(int i) { return layer.isView() ? in : out; }
    @Override public MemorySegment outputGradient(int layer) { return dOut; }
    @Override public MemorySegment inputGradient(int layer) { return wantDIn ? dIn : null; }

    public static float[] get(MemorySegment s, int n) {
        float[] a = new float[n];
        MemorySegment.copy(s, F, 0, a, 0, n);
        return a;
    }

    public static void put(MemorySegment s, float[] a) { MemorySegment.copy(a, 0, s, F, 0, a.length); }

    @Override public void close() { exec.close(); arena.close(); }
}
