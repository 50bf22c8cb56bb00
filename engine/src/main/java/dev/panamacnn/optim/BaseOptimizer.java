package dev.panamacnn.optim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.panamacnn.ops.Exec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every optimizer here shares: the learning rate, constant or a {@link LearningRateSchedule} (Keras evaluates it at
 * the step count before the update), the step count, and the one parallel pass over the trainable parameters: fixed
 * chunks of {@link Optimizer#CHUNK} floats, with the non-trainable ranges (a batch normalization's moving statistics)
 * cut out, so that an update never touches them. Element-wise, hence bit-identical for any thread count.
 */
public abstract class BaseOptimizer implements Optimizer {
    private float lr;
    private final LearningRateSchedule schedule;
    protected long t;
    /** Trainable {@code [start, end)} pairs in increasing order; null: every parameter. */
    private long[] trainable;
    private final AtomicBoolean nonFinite = new AtomicBoolean();

    protected BaseOptimizer(float learningRate, LearningRateSchedule schedule) {
        if (schedule == null && !(learningRate > 0 && Float.isFinite(learningRate))) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": learning_rate must be > 0, got " + learningRate);
        }
        this.lr = schedule != null ? (float) schedule.at(0) : learningRate;
        this.schedule = schedule;
    }

    /** The update of parameters {@code [a, e)}; true when a gradient or new parameter there is not finite. */
    protected interface RangeUpdate { boolean run(long a, long e); }

    @Override public void trainable(long[] ranges) { this.trainable = ranges == null ? null : ranges.clone(); }

    /** Runs {@code body} over the trainable parameters among {@code [0, n)}, chunk by chunk on the pool; false when any was not finite. */
    protected final boolean forEachTrainable(Exec ex, long n, RangeUpdate body) {
        nonFinite.set(false);
        long[] tr = trainable;
        ex.pool().forEach(Optimizer.chunks(n), (ch, wk) -> {
            long a = ch * CHUNK, e = Math.min(n, a + CHUNK);
            boolean bad = false;
            if (tr == null) {
                bad = body.run(a, e);
            } else {
                for (int r = 0; r < tr.length; r += 2) {
                    long s = Math.max(a, tr[r]), f = Math.min(e, tr[r + 1]);
                    if (s < f) bad |= body.run(s, f);
                }
            }
            if (bad) nonFinite.set(true);
        });
        return !nonFinite.get();
    }

    /** The learning rate set (or the schedule's first); what {@code ReduceLROnPlateau} lowers. */
    @Override public float learningRate() { return lr; }

    @Override public void setLearningRate(float v) {
        if (schedule != null) throw new IllegalStateException(name() + " follows a " + schedule.className() + " schedule; its learning rate cannot be set");
        if (!(v > 0 && Float.isFinite(v))) throw new IllegalArgumentException("learning rate must be > 0, got " + v);
        lr = v;
    }

    /** The schedule, or null for a constant learning rate. */
    public LearningRateSchedule schedule() { return schedule; }

    /** The learning rate of the update that follows {@code steps} updates. */
    @Override public float learningRateAt(long steps) { return schedule == null ? lr : (float) schedule.at(steps); }

    @Override public long iterations() { return t; }
    @Override public void setIterations(long t) { this.t = t; }

    /** A config map starting with the name and the learning rate (a number, or Keras' schedule object). */
    protected Map<String, Object> baseConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name());
        if (schedule == null) {
            c.put("learning_rate", lr);
        } else {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("class_name", schedule.className());
            s.put("config", schedule.config());
            c.put("learning_rate", s);
        }
        return c;
    }

    /** {@code learning_rate} of a config: a number ({@code fallback} when absent) or null when it is a schedule. */
    static float learningRate(JsonNode o, double fallback) {
        JsonNode n = o.path("learning_rate");
        return n.isObject() ? Float.NaN : (float) n.asDouble(fallback);
    }

    /** {@code learning_rate} of a config as a schedule, or null. */
    static LearningRateSchedule schedule(JsonNode o) {
        JsonNode n = o.path("learning_rate");
        return n.isObject() ? LearningRateSchedule.fromConfig(n) : null;
    }
}
