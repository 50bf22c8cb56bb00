package dev.panamacnn.optim;

import dev.panamacnn.ops.Exec;
import dev.panamacnn.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

/**
 * Adam as Keras implements it: {@code lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t)},
 * {@code m = b1 m + (1 - b1) g}, {@code v = b2 v + (1 - b2) g^2}, {@code p -= lr_t m / (sqrt(v) + eps)}; with
 * {@code amsgrad}, {@code v_hat = max(v_hat, v)} takes {@code v}'s place in the denominator. Keras defaults: lr 0.001,
 * beta1 0.9, beta2 0.999, epsilon 1e-7, amsgrad false. One fused vector pass over the trainable parameters.
 * {@link AdamW} adds decoupled weight decay.
 */
public class Adam extends BaseOptimizer {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private final float beta1, beta2, epsilon;
    private final boolean amsgrad;
    private MemorySegment m, v, vHat;

    public Adam() { this(0.001f); }
    public Adam(float learningRate) { this(learningRate, 0.9f, 0.999f, 1e-7f); }

    public Adam(float learningRate, float beta1, float beta2, float epsilon) { this(learningRate, null, beta1, beta2, epsilon, false); }

    /** Adam with a constant learning rate or {@code schedule} (when not null), and Keras' {@code amsgrad}. */
    public Adam(float learningRate, LearningRateSchedule schedule, float beta1, float beta2, float epsilon, boolean amsgrad) {
        super(learningRate, schedule);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon >= 0)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": need learning_rate > 0, 0 <= beta1, beta2 < 1, epsilon >= 0");
        }
        this.beta1 = beta1; this.beta2 = beta2; this.epsilon = epsilon; this.amsgrad = amsgrad;
    }

    /** From {@code compile_config.optimizer} (Keras' names and defaults). */
    static Adam fromConfig(com.fasterxml.jackson.databind.JsonNode o) {
        return new Adam(learningRate(o, 0.001), schedule(o), (float) o.path("beta_1").asDouble(0.9),
                (float) o.path("beta_2").asDouble(0.999), (float) o.path("epsilon").asDouble(1e-7), o.path("amsgrad").asBoolean(false));
    }

    @Override public void build(Arena arena, long n) {
        m = Tensor.allocateFloats(arena, n);
        v = Tensor.allocateFloats(arena, n);
        if (amsgrad) vHat = Tensor.allocateFloats(arena, n);
        t = 0;
    }

    /** Decoupled weight decay before the step ({@link AdamW}); 0 here. */
    protected float weightDecay() { return 0f; }

    @Override public boolean update(Exec ex, MemorySegment p, MemorySegment g, long n) {
        float lrNow = learningRateAt(t);
        t++;
        float lrT = stepSize(t);
        float b1 = beta1, b2 = beta2, c1 = 1 - beta1, c2 = 1 - beta2, eps = epsilon;
        float decay = 1f - lrNow * weightDecay();
        boolean decays = weightDecay() != 0f, ams = amsgrad;
        return forEachTrainable(ex, n, (a, e) -> {
            long i = a;
            // x - x is 0 for finite x and NaN for NaN or +-infinity: the sum stays 0 unless something went non-finite
            FloatVector check = FloatVector.zero(S);
            for (; i <= e - S.length(); i += S.length()) {
                long b = i * 4;
                FloatVector gv = FloatVector.fromMemorySegment(S, g, b, NO);
                FloatVector mv = FloatVector.fromMemorySegment(S, m, b, NO).mul(b1).add(gv.mul(c1));
                FloatVector vv = FloatVector.fromMemorySegment(S, v, b, NO).mul(b2).add(gv.mul(gv).mul(c2));
                mv.intoMemorySegment(m, b, NO);
                vv.intoMemorySegment(v, b, NO);
                if (ams) {
                    vv = FloatVector.fromMemorySegment(S, vHat, b, NO).max(vv);
                    vv.intoMemorySegment(vHat, b, NO);
                }
                FloatVector pv = FloatVector.fromMemorySegment(S, p, b, NO);
                if (decays) pv = pv.mul(decay);
                pv = pv.sub(mv.mul(lrT).div(vv.sqrt().add(eps)));
                pv.intoMemorySegment(p, b, NO);
                check = check.add(gv.sub(gv)).add(pv.sub(pv));
            }
            boolean tailBad = false;
            for (; i < e; i++) {
                long b = i * 4;
                float gv = g.get(F, b);
                float mv = m.get(F, b) * b1 + gv * c1;
                float vv = v.get(F, b) * b2 + gv * gv * c2;
                m.set(F, b, mv);
                v.set(F, b, vv);
                if (ams) {
                    vv = Math.max(vHat.get(F, b), vv);
                    vHat.set(F, b, vv);
                }
                float pv = p.get(F, b);
                if (decays) pv *= decay;
                float np = pv - mv * lrT / ((float) Math.sqrt(vv) + eps);
                p.set(F, b, np);
                tailBad |= !Float.isFinite(gv) || !Float.isFinite(np);
            }
            return tailBad || check.reduceLanes(VectorOperators.ADD) != 0f;
        });
    }

    public float beta1() { return beta1; }
    public float beta2() { return beta2; }
    public float epsilon() { return epsilon; }
    public boolean amsgrad() { return amsgrad; }

    /** Keras' bias-corrected step size for update number {@code t} (1-based), at that update's learning rate. */
    public float stepSize(long t) {
        return (float) (learningRateAt(t - 1) * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
    }

    @Override public List<MemorySegment> state() { return amsgrad ? List.of(m, v, vHat) : List.of(m, v); }
    @Override public String name() { return "Adam"; }

    @Override public Map<String, Object> config() {
        Map<String, Object> c = baseConfig();
        c.put("beta_1", beta1);
        c.put("beta_2", beta2);
        c.put("epsilon", epsilon);
        if (amsgrad) c.put("amsgrad", true);
        return c;
    }
}
