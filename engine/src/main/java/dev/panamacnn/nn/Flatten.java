package dev.panamacnn.nn;

import dev.panamacnn.backend.Exec;
import dev.panamacnn.tensor.Shape;

import java.lang.foreign.MemorySegment;

/** Flattens each sample to a vector. On NHWC row-major data this moves no memory. */
public final class Flatten extends Layer {
    @Override public String kerasClassName() { return "Flatten"; }
    @Override protected Shape computeOutputShape(Shape in) { return Shape.of(in.size()); }
    @Override public boolean inPlace() { return true; }
    @Override void forward(Exec ex, MemorySegment in, MemorySegment out, int n) {}
    @Override void backward(Exec ex, MemorySegment in, MemorySegment out, MemorySegment dOut, MemorySegment dIn,
                            int n, boolean preActivation) {}
}
