package dev.panamacnn.optim;

import java.util.Map;

/**
 * Keras' {@code AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)}:
 * Adam with decoupled weight decay, applied before the Adam step as Keras' optimizer base does,
 * {@code p = p - p * weight_decay * lr} (the step's learning rate, not Adam's bias-corrected one). Every trainable
 * tensor decays, biases included (Keras' default: nothing is excluded).
 */
public final class AdamW extends Adam {
    private final float weightDecay;

    public AdamW() { this(0.001f, 0.004f); }

    public AdamW(float learningRate, float weightDecay) { this(learningRate, null, weightDecay, 0.9f, 0.999f, 1e-7f, false); }

    public AdamW(float learningRate, LearningRateSchedule schedule, float weightDecay, float beta1, float beta2, float epsilon, boolean amsgrad) {
        super(learningRate, schedule, beta1, beta2, epsilon, amsgrad);
        if (!(weightDecay >= 0 && Float.isFinite(weightDecay))) throw new IllegalArgumentException("AdamW: weight_decay must be >= 0, got " + weightDecay);
        this.weightDecay = weightDecay;
    }

    static AdamW fromConfig(com.fasterxml.jackson.databind.JsonNode o) {
        return new AdamW(learningRate(o, 0.001), schedule(o), (float) o.path("weight_decay").asDouble(0.004), (float) o.path("beta_1").asDouble(0.9),
                (float) o.path("beta_2").asDouble(0.999), (float) o.path("epsilon").asDouble(1e-7), o.path("amsgrad").asBoolean(false));
    }

    @Override protected float weightDecay() { return weightDecay; }

    /** Keras' {@code weight_decay}. */
    public float weightDecayRate() { return weightDecay; }
    @Override public String name() { return "AdamW"; }

    @Override public Map<String, Object> config() {
        Map<String, Object> c = super.config();
        c.put("weight_decay", weightDecay);
        return c;
    }
}
