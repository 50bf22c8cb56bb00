package dev.panamacnn.nn;

import dev.panamacnn.tensor.Shape;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.lang.foreign.ValueLayout;

/**
 * A layer that applies a function to each element ({@code ReLU}, {@code LeakyReLU}): forward {@code y = f(x)},
 * backward {@code dx = dy * f'(x)} from the kept input. Groupwise over samples, so thread-count invariant; vectorized
 * where the layer gives the vector form ({@link #vf}, {@link #vdf}), with the same arithmetic as the scalar one.
 */
public abstract class ElementwiseLayer extends Layer {
    /** The function. */
    protected abstract float f(float x);

    /** Its derivative at {@code x}. */
    protected abstract float df(float x);

    /** {@link #f} on every lane, or null where the layer has no vector form (then the scalar loop runs). */
    protected FloatVector vf(FloatVector x) { return null; }

    /** {@code dy * f'(x)} on every lane, or null. */
    protected FloatVector vdf(FloatVector x, FloatVector dy) { return null; }

    /** The vector path (the scalar loop is the reference; tests switch this off to compare). */
    static boolean VECTOR = dev.panamacnn.ops.Gemm.vectorized();
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Override protected Shape computeOutputShape(Shape input) { return input; }
    @Override public CpuOp cpu(CpuBinding b) { return new Cpu(b); }

    private final class Cpu extends CpuOp {
        /** Whether the layer gives the vector forms (asked once, at plan time). */
        private final boolean vectorized = vf(FloatVector.zero(S)) != null && vdf(FloatVector.zero(S), FloatVector.zero(S)) != null;

        Cpu(CpuBinding b) { super(ElementwiseLayer.this.name(), b); }

        @Override public boolean groupwise() { return true; }

        @Override public void forwardGroup(Step s) {
            long per = outputShape().size();
            MemorySegment in = b.in(), out = b.out();
            long i = s.start() * per, e = s.end() * per;
            if (VECTOR && vectorized) {
                for (; i <= e - S.length(); i += S.length()) {
                    vf(FloatVector.fromMemorySegment(S, in, i * 4, ByteOrder.nativeOrder())).intoMemorySegment(out, i * 4, ByteOrder.nativeOrder());
                }
            }
            for (; i < e; i++) out.setAtIndex(ValueLayout.JAVA_FLOAT, i, f(in.getAtIndex(ValueLayout.JAVA_FLOAT, i)));
        }

        @Override public void backward(Step s) {
            if (b.dIn() != null) super.backward(s);
        }

        @Override public void backwardGroup(Step s) {
            if (b.dIn() == null) return;   // the first layer with work: no input gradient (the group schedule calls this directly)
            long per = outputShape().size();
            MemorySegment in = b.in(), dOut = b.dOut(), dIn = b.dIn();
            long i = s.start() * per, e = s.end() * per;
            if (VECTOR && vectorized) {
                for (; i <= e - S.length(); i += S.length()) {
                    vdf(FloatVector.fromMemorySegment(S, in, i * 4, ByteOrder.nativeOrder()), FloatVector.fromMemorySegment(S, dOut, i * 4, ByteOrder.nativeOrder()))
                            .intoMemorySegment(dIn, i * 4, ByteOrder.nativeOrder());
                }
            }
            for (; i < e; i++) dIn.setAtIndex(ValueLayout.JAVA_FLOAT, i, dOut.getAtIndex(ValueLayout.JAVA_FLOAT, i) * df(in.getAtIndex(ValueLayout.JAVA_FLOAT, i)));
        }
    }
}
