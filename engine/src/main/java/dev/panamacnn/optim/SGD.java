package dev.panamacnn.optim;

import dev.panamacnn.ops.Exec;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with momentum, as in Keras: {@code v = momentum v - lr g}, then {@code p += v}, or with
 * {@code nesterov}, {@code p += momentum v - lr g}. Keras defaults: lr 0.01, momentum 0, nesterov false.
 */
public final class SGD extends BaseOptimizer {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private final float momentum;
    private final boolean nesterov;
    private MemorySegment velocity;

    public SGD(float learningRate) { this(learningRate, 0f); }

    public SGD(float learningRate, float momentum) { this(learningRate, null, momentum, false); }

    public SGD(float learningRate, LearningRateSchedule schedule, float momentum, boolean nesterov) {
        super(learningRate, schedule);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("SGD: need learning_rate > 0 and 0 <= momentum < 1");
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    /** From {@code compile_config.optimizer} (Keras' names and defaults). */
    static SGD fromConfig(com.fasterxml.jackson.databind.JsonNode o) {
        return new SGD(learningRate(o, 0.01), schedule(o), (float) o.path("momentum").asDouble(0), o.path("nesterov").asBoolean(false));
    }

    @Override public void build(Arena arena, long n) { velocity = Tensor.allocateFloats(arena, n); t = 0; }

    @Override public boolean update(Exec ex, MemorySegment p, MemorySegment g, long n) {
        float lr = learningRateAt(t);
        t++;
        float mom = momentum;
        boolean nest = nesterov;
        return forEachTrainable(ex, n, (a, e) -> {
            boolean bad = false;
            for (long i = a; i < e; i++) {
                long b = i * 4;
                float gv = g.get(F, b);
                float vv = mom * velocity.get(F, b) - lr * gv;
                velocity.set(F, b, vv);
                float np = nest ? p.get(F, b) + (mom * vv - lr * gv) : p.get(F, b) + vv;
                p.set(F, b, np);
                bad |= !Float.isFinite(gv) || !Float.isFinite(np);
            }
            return bad;
        });
    }

    public float momentum() { return momentum; }
    public boolean nesterov() { return nesterov; }

    @Override public List<MemorySegment> state() { return List.of(velocity); }
    @Override public String name() { return "SGD"; }

    @Override public Map<String, Object> config() {
        Map<String, Object> c = baseConfig();
        c.put("momentum", momentum);
        if (nesterov) c.put("nesterov", true);
        return c;
    }
}
