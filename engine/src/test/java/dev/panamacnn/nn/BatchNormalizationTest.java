package dev.panamacnn.nn;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.AdamW;
import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BatchNormalization against Keras' definition ({@code keras.layers.BatchNormalization} documentation and
 * {@code keras/src/layers/normalization/batch_normalization.py}): in training, batch mean and biased variance per
 * channel, {@code moving = moving * momentum + batch * (1 - momentum)}; in inference, the moving statistics; moving
 * statistics are non-trainable (summary, optimizer).
 */
class BatchNormalizationTest {
    @Test
    void movingStatisticsFollowKerasAndInferenceUsesThem() {
        try (Arena a = Arena.ofConfined();
             Sequential m = new Sequential(new InputLayer(Shape.of(2, 3, 2)), new BatchNormalization(), new Flatten(), new Dense(3, Activation.SOFTMAX))) {
            m.seed(1).threads(2).compile(new AdamW(0.05f, 0.5f), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            String summary = m.summary();
            assertTrue(summary.contains("Non-trainable params: 4"), summary);   // moving mean and variance of 2 channels
            int n = 5;
            Tensor x = Tensor.allocate(a, Shape.of(n, 2, 3, 2)), y = Tensor.allocate(a, Shape.of(n, 3));
            Rng r = new Rng(3);
            for (int i = 0; i < x.size(); i++) x.set(i, (float) (r.nextGaussian() * 2 + (i % 2 == 0 ? 1 : -3)));
            for (int i = 0; i < n; i++) y.set(i * 3L + i % 3, 1f);
            long off = m.paramOffset(1);   // gamma, beta, moving_mean, moving_variance
            double[] mean = new double[2], var = new double[2];
            for (int i = 0; i < x.size(); i++) mean[i % 2] += x.get(i) / (n * 6.0);
            for (int i = 0; i < x.size(); i++) var[i % 2] += Math.pow(x.get(i) - mean[i % 2], 2) / (n * 6.0);
            m.trainOnBatch(x, y);
            for (int ch = 0; ch < 2; ch++) {
                assertEquals(0.01 * mean[ch], m.parameters().getAtIndex(ValueLayout.JAVA_FLOAT, off + 4 + ch), 1e-6, "moving_mean");
                assertEquals(0.99 + 0.01 * var[ch], m.parameters().getAtIndex(ValueLayout.JAVA_FLOAT, off + 6 + ch), 1e-5, "moving_variance");
            }
            // the optimizer (AdamW, strong decay) left the moving statistics alone: a second step moves them by the formula only
            float mm = m.parameters().getAtIndex(ValueLayout.JAVA_FLOAT, off + 4);
            m.trainOnBatch(x, y);
            assertEquals(mm * 0.99 + 0.01 * mean[0], m.parameters().getAtIndex(ValueLayout.JAVA_FLOAT, off + 4), 1e-6);
            // inference: y = gamma (x - moving_mean) / sqrt(moving_var + eps) + beta, checked through the Dense layer's input
            Tensor p1 = m.predict(x);
            for (int i = 0; i < 2; i++) m.parameters().setAtIndex(ValueLayout.JAVA_FLOAT, off + 4 + i, 100f);   // shift the moving means
            Tensor p2 = m.predict(x);
            boolean changed = false;
            for (int i = 0; i < p1.size(); i++) changed |= p1.get(i) != p2.get(i);
            assertTrue(changed, "inference reads the moving statistics");
        }
    }
}
