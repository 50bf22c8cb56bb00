package dev.panamacnn.nn;

import dev.panamacnn.tensor.Shape;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A layer that applies a function to each element ({@code ReLU}, {@code LeakyReLU}): forward {@code y = f(x)},
 * backward {@code dx = dy * f'(x)} from the kept input. Groupwise over samples, so thread-count invariant.
 */
public abstract class ElementwiseLayer extends Layer {
    /** The function. */
    protected abstract float f(float x);

    /** Its derivative at {@code x}. */
    protected abstract float df(float x);

    @Override protected Shape computeOutputShape(Shape input) { return input; }
    @Override public CpuOp cpu(CpuBinding b) { return new Cpu(b); }

    private final class Cpu extends CpuOp {
        Cpu(CpuBinding b) { super(ElementwiseLayer.this.name(), b); }

        @Override public boolean groupwise() { return true; }

        @Override public void forwardGroup(Step s) {
            long per = outputShape().size();
            MemorySegment in = b.in(), out = b.out();
            for (long i = s.start() * per, e = s.end() * per; i < e; i++) {
                out.setAtIndex(ValueLayout.JAVA_FLOAT, i, f(in.getAtIndex(ValueLayout.JAVA_FLOAT, i)));
            }
        }

        @Override public void backward(Step s) {
            if (b.dIn() != null) super.backward(s);
        }

        @Override public void backwardGroup(Step s) {
            if (b.dIn() == null) return;   // the first layer with work: no input gradient (the group schedule calls this directly)
            long per = outputShape().size();
            MemorySegment in = b.in(), dOut = b.dOut(), dIn = b.dIn();
            for (long i = s.start() * per, e = s.end() * per; i < e; i++) {
                dIn.setAtIndex(ValueLayout.JAVA_FLOAT, i, dOut.getAtIndex(ValueLayout.JAVA_FLOAT, i) * df(in.getAtIndex(ValueLayout.JAVA_FLOAT, i)));
            }
        }
    }
}
