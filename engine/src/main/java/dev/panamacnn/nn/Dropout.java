package dev.panamacnn.nn;

import dev.panamacnn.runtime.CounterRng;
import dev.panamacnn.tensor.Shape;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.panamacnn.nn.Step.groupStart;

/**
 * Keras' {@code Dropout(rate, seed)}: in training, each element is zeroed with probability {@code rate} and the rest
 * scaled by {@code 1 / (1 - rate)} (inverted dropout); in inference it passes its input through. The mask comes from
 * {@link CounterRng} keyed by (seed, step, sample, element): it does not depend on the thread count or the backend,
 * and a resumed run draws the same masks (the step number is the optimizer's, which checkpoints keep). Without a
 * seed, the layer's name seeds it (so two Dropout layers draw different masks).
 */
public final class Dropout extends Layer {
    private final float rate;
    private final Integer seed;

    /** Keras' config of a Dropout layer. */
    public record Config(String name, double rate, Integer seed) {}

    public Dropout(float rate) { this(rate, null); }

    public Dropout(float rate, Integer seed) {
        if (!(rate >= 0f && rate < 1f)) throw new IllegalArgumentException("Dropout: rate must be in [0, 1), got " + rate);
        this.rate = rate;
        this.seed = seed;
    }

    static Dropout fromConfig(ConfigReader c) {
        if (!c.node("rate").isNumber()) throw c.error("rate", "expected a number in [0, 1), got " + c.node("rate"));
        var s = c.node("seed");
        if (!s.isMissingNode() && !s.isNull() && !s.canConvertToInt()) throw c.error("seed", "expected an integer or null, got " + s);
        return new Dropout((float) c.node("rate").asDouble(), s.isMissingNode() || s.isNull() ? null : s.asInt());
    }

    @Override public String kerasClassName() { return "Dropout"; }
    public float rate() { return rate; }

    /** The seed the mask is keyed by: the given one, else a hash of the layer's name. */
    public int effectiveSeed() { return seed != null ? seed : name().hashCode(); }

    @Override protected Shape computeOutputShape(Shape input) { return input; }
    @Override public Config config() { return new Config(name(), Double.parseDouble(Float.toString(rate)), seed); }
    @Override public CpuOp cpu(CpuBinding b) { return new Cpu(b); }

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, FS.vectorShape());
    private static final IntVector IOTA = IntVector.zero(IS).addIndex(1);
    /** The vector path (the scalar loop is the reference: {@code -Dpanamacnn.vector=false} in the tests runs it alone). */
    static boolean VECTOR = dev.panamacnn.ops.Gemm.vectorized();

    /** {@link CounterRng#mix} on every lane. */
    static IntVector mix(IntVector x) {
        x = x.lanewise(VectorOperators.XOR, x.lanewise(VectorOperators.ASHR, 16).and(0xFFFF));
        x = x.mul(0x7feb352d);
        x = x.lanewise(VectorOperators.XOR, x.lanewise(VectorOperators.ASHR, 15).and(0x1FFFF));
        x = x.mul(0x846ca68b);
        return x.lanewise(VectorOperators.XOR, x.lanewise(VectorOperators.ASHR, 16).and(0xFFFF));
    }

    /** Element-wise, split over the sample groups, vectorized (the mask hash lane by lane). */
    private final class Cpu extends CpuOp {
        Cpu(CpuBinding b) { super(Dropout.this.name(), b); }

        @Override public void forward(Step s) {
            MemorySegment in = b.in(), out = b.out();
            apply(s, in, out);
        }

        @Override public void backward(Step s) {
            MemorySegment dIn = b.dIn();
            if (dIn != null) apply(s, b.dOut(), dIn);
        }

        /** {@code dst = src * mask / (1 - rate)} in training, {@code dst = src} otherwise (the same mask both ways). */
        private void apply(Step s, MemorySegment src, MemorySegment dst) {
            int per = outputShape().size(), n = s.n(), groups = s.groups();
            if (!s.training() || rate == 0f) {
                MemorySegment.copy(src, 0, dst, 0, (long) n * per * 4);
                return;
            }
            int seedValue = effectiveSeed(), step = (int) s.iteration(), threshold = CounterRng.threshold(rate);
            float scale = 1f / (1f - rate);
            ex.pool().forEach(groups, (g, wk) -> {
                for (int smp = groupStart(g, groups, n), e = groupStart(g + 1, groups, n); smp < e; smp++) {
                    long base = (long) smp * per;
                    int i = 0;
                    if (VECTOR) {
                        // the same hash lane by lane: (seed, step, sample) mixed once, then the element index
                        IntVector key = IntVector.broadcast(IS, CounterRng.mix(CounterRng.mix(CounterRng.mix(seedValue) ^ step) ^ smp));
                        for (; i <= per - IS.length(); i += IS.length()) {
                            IntVector bits = mix(key.lanewise(VectorOperators.XOR, IOTA.add(i))).and(0xFFFFFF);
                            VectorMask<Float> kept = bits.compare(VectorOperators.GE, threshold).cast(FS);
                            long o = (base + i) * 4;
                            FloatVector v = FloatVector.fromMemorySegment(FS, src, o, ByteOrder.nativeOrder()).mul(scale);
                            FloatVector.zero(FS).blend(v, kept).intoMemorySegment(dst, o, ByteOrder.nativeOrder());
                        }
                    }
                    for (; i < per; i++) {
                        float v = src.getAtIndex(ValueLayout.JAVA_FLOAT, base + i);
                        dst.setAtIndex(ValueLayout.JAVA_FLOAT, base + i, CounterRng.keep(seedValue, step, smp, i, threshold) ? v * scale : 0f);
                    }
                }
            });
        }
    }
}
