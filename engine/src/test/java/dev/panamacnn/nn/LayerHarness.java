package dev.panamacnn.nn;

import dev.panamacnn.backend.Exec;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import dev.panamacnn.util.Rng;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Runs one layer on its own: parameters, workspace and buffers for a batch of n, on T threads. */
final class LayerHarness implements AutoCloseable {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    final Arena arena = Arena.ofShared();
    final Exec exec;
    final Layer layer;
    final int n, inSize, outSize, paramCount;
    final MemorySegment params, grads, in, out, dOut, dIn;

    LayerHarness(Layer layer, Shape input, int n, int threads, long seed) {
        this.layer = layer;
        this.n = n;
        Shape o = layer.build(input);
        inSize = input.size();
        outSize = o.size();
        paramCount = (int) layer.paramCount();
        params = Tensor.allocateFloats(arena, paramCount);
        grads = Tensor.allocateFloats(arena, paramCount);
        layer.bind(params, grads, 0);
        layer.allocate(arena, n, threads);
        exec = new Exec(threads, arena);
        in = Tensor.allocateFloats(arena, (long) n * inSize);
        out = Tensor.allocateFloats(arena, (long) n * outSize);
        dOut = Tensor.allocateFloats(arena, (long) n * outSize);
        dIn = Tensor.allocateFloats(arena, (long) n * inSize);
        Rng r = new Rng(seed);
        for (int i = 0; i < paramCount; i++) params.setAtIndex(F, i, (float) (r.nextGaussian() * 0.5));
        for (long i = 0; i < (long) n * inSize; i++) in.setAtIndex(F, i, (float) r.nextGaussian());
    }

    void forward() { layer.forward(exec, in, out, n); }

    /** Backward with a copy of {@code upstream} as dOut (layers may overwrite dOut). */
    void backward(float[] upstream, boolean pre, boolean wantDIn) {
        MemorySegment.copy(upstream, 0, dOut, F, 0, upstream.length);
        layer.backward(exec, in, out, dOut, wantDIn ? dIn : null, n, pre);
    }

    static float[] get(MemorySegment s, int n) {
        float[] a = new float[n];
        MemorySegment.copy(s, F, 0, a, 0, n);
        return a;
    }

    static void put(MemorySegment s, float[] a) { MemorySegment.copy(a, 0, s, F, 0, a.length); }

    @Override public void close() { exec.close(); arena.close(); }
}
