package dev.panamacnn.optim;

import dev.panamacnn.ops.Exec;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Stochastic gradient descent with momentum, as in Keras: {@code v = momentum v - lr g; p += v}. */
public final class SGD implements Optimizer {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private final float lr, momentum;
    private MemorySegment velocity;
    private long t;

    public SGD(float learningRate) { this(learningRate, 0f); }

    public SGD(float learningRate, float momentum) {
        if (!(learningRate > 0) || !(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("SGD: need learning_rate > 0 and 0 <= momentum < 1");
        }
        this.lr = learningRate; this.momentum = momentum;
    }

    /** From {@code compile_config.optimizer} (Keras' names and defaults). */
    static SGD fromConfig(com.fasterxml.jackson.databind.JsonNode o) {
        return new SGD((float) o.path("learning_rate").asDouble(0.01), (float) o.path("momentum").asDouble(0));
    }

    @Override public void build(Arena arena, long n) { velocity = Tensor.allocateFloats(arena, n); t = 0; }

    @Override public boolean update(Exec ex, MemorySegment p, MemorySegment g, long n) {
        t++;
        nonFinite.set(false);
        ex.pool().forEach(Optimizer.chunks(n), (ch, wk) -> {
            long a = ch * CHUNK, e = Math.min(n, a + CHUNK);
            boolean bad = false;
            for (long i = a; i < e; i++) {
                long b = i * 4;
                float gv = g.get(F, b);
                float vv = momentum * velocity.get(F, b) - lr * gv;
                velocity.set(F, b, vv);
                float np = p.get(F, b) + vv;
                p.set(F, b, np);
                bad |= !Float.isFinite(gv) || !Float.isFinite(np);
            }
            if (bad) nonFinite.set(true);
        });
        return !nonFinite.get();
    }

    private final java.util.concurrent.atomic.AtomicBoolean nonFinite = new java.util.concurrent.atomic.AtomicBoolean();

    public float learningRate() { return lr; }
    public float momentum() { return momentum; }

    @Override public long iterations() { return t; }
    @Override public void setIterations(long t) { this.t = t; }
    @Override public List<MemorySegment> state() { return List.of(velocity); }
    @Override public String name() { return "SGD"; }

    @Override public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", "SGD");
        c.put("learning_rate", lr);
        c.put("momentum", momentum);
        return c;
    }
}
