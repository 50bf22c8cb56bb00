package dev.panamacnn.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A float32 tensor stored off-heap in a {@link MemorySegment} (native byte order, 64-byte aligned).
 * The tensor does not own its memory: the {@link Arena} it was allocated from does.
 */
public final class Tensor {
    public static final long ALIGN = 64;
    public static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private final Shape shape;
    private final MemorySegment segment;

    public Tensor(Shape shape, MemorySegment segment) {
        if (segment.byteSize() < (long) shape.size() * Float.BYTES) {
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes too small for " + shape);
        }
        this.shape = shape;
        this.segment = segment;
    }

    /** Allocates a zero-filled tensor. */
    public static Tensor allocate(Arena arena, Shape shape) {
        return new Tensor(shape, allocateFloats(arena, shape.size()));
    }

    /** Allocates {@code n} zero-filled, 64-byte aligned floats. */
    public static MemorySegment allocateFloats(Arena arena, long n) {
        return arena.allocate(Math.max(1, n) * Float.BYTES, ALIGN);
    }

    public static Tensor of(Arena arena, Shape shape, float[] values) {
        if (values.length != shape.size()) throw new IllegalArgumentException(values.length + " values for shape " + shape);
        Tensor t = allocate(arena, shape);
        MemorySegment.copy(values, 0, t.segment, F, 0, values.length);
        return t;
    }

    public Shape shape() { return shape; }
    public MemorySegment segment() { return segment; }
    public int size() { return shape.size(); }

    public float get(long i) { return segment.getAtIndex(F, i); }
    public void set(long i, float v) { segment.setAtIndex(F, i, v); }

    public float[] toArray() {
        float[] a = new float[shape.size()];
        MemorySegment.copy(segment, F, 0, a, 0, a.length);
        return a;
    }

    /** Row {@code i} of the first dimension as a view. */
    public Tensor row(int i) {
        int[] d = shape.dims();
        int[] rest = java.util.Arrays.copyOfRange(d, 1, d.length);
        Shape s = Shape.of(rest);
        return new Tensor(s, segment.asSlice((long) i * s.size() * Float.BYTES, (long) s.size() * Float.BYTES));
    }
}
