package dev.panamacnn.optim;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keras' learning-rate schedules ({@code keras.optimizers.schedules}), evaluated at the optimizer's step count before the
 * update (0 for the first update), as Keras does. The formulas are those of Keras' documentation of each class.
 */
public sealed interface LearningRateSchedule {
    /** The learning rate of the update that follows {@code step} updates. */
    double at(long step);

    /** The schedule's Keras class name. */
    String className();

    /** Its Keras config (the object under {@code learning_rate.config}). */
    Map<String, Object> config();

    /** {@code initial * rate^(step / decaySteps)}, the exponent floored with {@code staircase}. */
    record ExponentialDecay(double initialLearningRate, long decaySteps, double decayRate, boolean staircase) implements LearningRateSchedule {
        public ExponentialDecay {
            if (!(initialLearningRate > 0) || decaySteps < 1 || !(decayRate > 0)) {
                throw new IllegalArgumentException("ExponentialDecay: need initial_learning_rate > 0, decay_steps >= 1, decay_rate > 0");
            }
        }
        @Override public double at(long step) {
            double p = (double) step / decaySteps;
            return initialLearningRate * Math.pow(decayRate, staircase ? Math.floor(p) : p);
        }
        @Override public String className() { return "ExponentialDecay"; }
        @Override public Map<String, Object> config() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("initial_learning_rate", initialLearningRate);
            m.put("decay_steps", decaySteps);
            m.put("decay_rate", decayRate);
            m.put("staircase", staircase);
            return m;
        }
    }

    /** {@code initial * ((1 - alpha) * 0.5 (1 + cos(pi min(step, decaySteps) / decaySteps)) + alpha)}. */
    record CosineDecay(double initialLearningRate, long decaySteps, double alpha) implements LearningRateSchedule {
        public CosineDecay {
            if (!(initialLearningRate > 0) || decaySteps < 1 || !(alpha >= 0 && alpha <= 1)) {
                throw new IllegalArgumentException("CosineDecay: need initial_learning_rate > 0, decay_steps >= 1, 0 <= alpha <= 1");
            }
        }
        @Override public double at(long step) {
            double s = Math.min(step, decaySteps);
            double cos = 0.5 * (1 + Math.cos(Math.PI * s / decaySteps));
            return initialLearningRate * ((1 - alpha) * cos + alpha);
        }
        @Override public String className() { return "CosineDecay"; }
        @Override public Map<String, Object> config() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("initial_learning_rate", initialLearningRate);
            m.put("decay_steps", decaySteps);
            m.put("alpha", alpha);
            return m;
        }
    }

    /** {@code values[0]} while {@code step <= boundaries[0]}, {@code values[i]} while {@code step <= boundaries[i]}, then the last value. */
    record PiecewiseConstantDecay(List<Long> boundaries, List<Double> values) implements LearningRateSchedule {
        public PiecewiseConstantDecay {
            boundaries = List.copyOf(boundaries);
            values = List.copyOf(values);
            if (values.size() != boundaries.size() + 1) throw new IllegalArgumentException("PiecewiseConstantDecay: need one more value than boundaries");
            for (int i = 1; i < boundaries.size(); i++) {
                if (boundaries.get(i) <= boundaries.get(i - 1)) throw new IllegalArgumentException("PiecewiseConstantDecay: boundaries must increase");
            }
            for (double v : values) if (!(v > 0)) throw new IllegalArgumentException("PiecewiseConstantDecay: values must be > 0");
        }
        @Override public double at(long step) {
            for (int i = 0; i < boundaries.size(); i++) if (step <= boundaries.get(i)) return values.get(i);
            return values.get(values.size() - 1);
        }
        @Override public String className() { return "PiecewiseConstantDecay"; }
        @Override public Map<String, Object> config() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("boundaries", boundaries);
            m.put("values", values);
            return m;
        }
    }

    /** The schedule that Keras' {@code {"class_name": ..., "config": {...}}} describes. */
    static LearningRateSchedule fromConfig(JsonNode n) {
        String cls = n.path("class_name").asText("");
        JsonNode c = n.path("config");
        return switch (cls) {
            case "ExponentialDecay" -> new ExponentialDecay(c.path("initial_learning_rate").asDouble(), c.path("decay_steps").asLong(),
                    c.path("decay_rate").asDouble(), c.path("staircase").asBoolean(false));
            case "CosineDecay" -> {
                if (!c.path("warmup_target").isMissingNode() && !c.path("warmup_target").isNull()) {
                    throw new IllegalArgumentException("CosineDecay: warmup_target is not supported");
                }
                yield new CosineDecay(c.path("initial_learning_rate").asDouble(), c.path("decay_steps").asLong(), c.path("alpha").asDouble(0));
            }
            case "PiecewiseConstantDecay" -> {
                List<Long> b = new java.util.ArrayList<>();
                for (JsonNode x : c.path("boundaries")) b.add(x.asLong());
                List<Double> v = new java.util.ArrayList<>();
                for (JsonNode x : c.path("values")) v.add(x.asDouble());
                yield new PiecewiseConstantDecay(b, v);
            }
            default -> throw new IllegalArgumentException("learning_rate schedule '" + cls
                    + "' is not supported (expected ExponentialDecay, CosineDecay or PiecewiseConstantDecay)");
        };
    }
}
