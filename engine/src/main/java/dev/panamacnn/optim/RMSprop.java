package dev.panamacnn.optim;

import dev.panamacnn.ops.Exec;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Keras' {@code RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)}:
 * {@code ms = rho ms + (1 - rho) g^2}; centered: {@code mg = rho mg + (1 - rho) g} and the denominator
 * {@code sqrt(ms - mg^2 + eps)}, else {@code sqrt(ms + eps)}; {@code inc = lr g / denominator}; with momentum
 * {@code mom = momentum mom + inc, p -= mom}, else {@code p -= inc} (Keras 3's {@code RMSprop.update_step}).
 */
public final class RMSprop extends BaseOptimizer {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private final float rho, momentum, epsilon;
    private final boolean centered;
    private MemorySegment ms, mg, mom;

    public RMSprop() { this(0.001f); }
    public RMSprop(float learningRate) { this(learningRate, null, 0.9f, 0f, 1e-7f, false); }

    public RMSprop(float learningRate, LearningRateSchedule schedule, float rho, float momentum, float epsilon, boolean centered) {
        super(learningRate, schedule);
        if (!(rho >= 0 && rho < 1) || !(momentum >= 0 && momentum < 1) || !(epsilon >= 0)) {
            throw new IllegalArgumentException("RMSprop: need 0 <= rho < 1, 0 <= momentum < 1, epsilon >= 0");
        }
        this.rho = rho; this.momentum = momentum; this.epsilon = epsilon; this.centered = centered;
    }

    static RMSprop fromConfig(com.fasterxml.jackson.databind.JsonNode o) {
        return new RMSprop(learningRate(o, 0.001), schedule(o), (float) o.path("rho").asDouble(0.9), (float) o.path("momentum").asDouble(0),
                (float) o.path("epsilon").asDouble(1e-7), o.path("centered").asBoolean(false));
    }

    @Override public void build(Arena arena, long n) {
        ms = Tensor.allocateFloats(arena, n);
        if (centered) mg = Tensor.allocateFloats(arena, n);
        if (momentum > 0) mom = Tensor.allocateFloats(arena, n);
        t = 0;
    }

    @Override public boolean update(Exec ex, MemorySegment p, MemorySegment g, long n) {
        float lr = learningRateAt(t);
        t++;
        float r = rho, c = 1 - rho, eps = epsilon, mu = momentum;
        return forEachTrainable(ex, n, (a, e) -> {
            boolean bad = false;
            for (long i = a; i < e; i++) {
                long b = i * 4;
                float gv = g.get(F, b);
                float s = r * ms.get(F, b) + c * gv * gv;
                ms.set(F, b, s);
                float den = s;
                if (mg != null) {
                    float avg = r * mg.get(F, b) + c * gv;
                    mg.set(F, b, avg);
                    den = s - avg * avg;
                }
                float inc = lr * gv / (float) Math.sqrt(den + eps);
                if (mom != null) {
                    inc = mu * mom.get(F, b) + inc;
                    mom.set(F, b, inc);
                }
                float np = p.get(F, b) - inc;
                p.set(F, b, np);
                bad |= !Float.isFinite(gv) || !Float.isFinite(np);
            }
            return bad;
        });
    }

    @Override public List<MemorySegment> state() {
        List<MemorySegment> l = new ArrayList<>();
        l.add(ms);
        if (mg != null) l.add(mg);
        if (mom != null) l.add(mom);
        return l;
    }

    @Override public String name() { return "RMSprop"; }
    public float rho() { return rho; }
    public float momentum() { return momentum; }
    public float epsilon() { return epsilon; }
    public boolean centered() { return centered; }

    @Override public Map<String, Object> config() {
        Map<String, Object> c = baseConfig();
        c.put("rho", rho);
        c.put("momentum", momentum);
        c.put("epsilon", epsilon);
        c.put("centered", centered);
        return c;
    }
}
