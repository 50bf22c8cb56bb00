package dev.panamacnn.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamacnn.activations.Activation;
import dev.panamacnn.exec.StepResult;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.nn.ActivationLayer;
import dev.panamacnn.nn.BatchNormalization;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Dropout;
import dev.panamacnn.nn.GlobalAveragePooling2D;
import dev.panamacnn.nn.InputLayer;
import dev.panamacnn.nn.Padding;
import dev.panamacnn.optim.AdamW;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Keras layers against PyTorch 1.13 on this machine: a network with same padding (stride 1 and 2),
 * BatchNormalization, Dropout (rate 0: the masks cannot come from the same source), GlobalAveragePooling2D and
 * AdamW, from the same initial weights. The fixture ({@code fixtures/pytorch/keras_layers.json}) was made by
 * {@code /usr/bin/python3 benchmarks/pytorch/crosscheck_keras_layers.py engine/src/test/resources/fixtures/pytorch/keras_layers.json};
 * its header explains the layout conversions and where PyTorch's conventions differ from Keras'. Checked: the
 * training loss, every gradient, the weights after one AdamW step (BatchNormalization's moving statistics by Keras' rule),
 * and the inference probabilities after it; tolerances 1e-5 relative to the largest magnitude (float32 sums in a
 * different order).
 */
class PyTorchCrossCheckTest {
    static float[] floats(JsonNode n) {
        float[] a = new float[n.size()];
        for (int i = 0; i < a.length; i++) a[i] = (float) n.get(i).asDouble();
        return a;
    }

    static void close(float[] expected, float[] got, double tol, String what) {
        assertEquals(expected.length, got.length, what);
        double max = 1e-6;
        for (float v : expected) max = Math.max(max, Math.abs(v));
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], got[i], tol * max, what + "[" + i + "]");
    }

    @Test
    void samePaddingBatchNormGlobalPoolingAdamWAgreeWithPyTorch() throws Exception {
        JsonNode f = new ObjectMapper().readTree(getClass().getResourceAsStream("/fixtures/pytorch/keras_layers.json"));
        try (Arena a = Arena.ofConfined(); Sequential m = new Sequential(
                new InputLayer(Shape.of(8, 8, 2)),
                new Conv2D(4, 3, 3, Activation.RELU).padding(Padding.SAME),
                new BatchNormalization(),
                new Dropout(0f),
                new Conv2D(6, 3, 3, 2, 2, Activation.LINEAR, null).padding(Padding.SAME).useBias(false),
                new BatchNormalization(),
                new ActivationLayer(Activation.RELU),
                new GlobalAveragePooling2D(),
                new Dense(3, Activation.SOFTMAX))) {
            m.threads(2).compile(new AdamW(0.01f, null, 0.1f, 0.9f, 0.999f, 1e-10f, false), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            float[] p0 = floats(f.get("params"));
            assertEquals(p0.length, m.paramCount());
            java.lang.foreign.MemorySegment.copy(p0, 0, m.parameters(), ValueLayout.JAVA_FLOAT, 0, p0.length);
            Tensor x = Tensor.allocate(a, Shape.of(4, 8, 8, 2)), y = Tensor.allocate(a, Shape.of(4, 3));
            java.lang.foreign.MemorySegment.copy(floats(f.get("x_nhwc")), 0, x.segment(), ValueLayout.JAVA_FLOAT, 0, x.size());
            java.lang.foreign.MemorySegment.copy(floats(f.get("y")), 0, y.segment(), ValueLayout.JAVA_FLOAT, 0, y.size());
            StepResult r = m.trainOnBatch(x, y);
            assertEquals(f.get("loss").asDouble(), r.loss(), 1e-5, "training-mode loss");
            close(floats(f.get("grads")), m.gradients().toArray(ValueLayout.JAVA_FLOAT), 1e-5, "gradients");
            close(floats(f.get("params_after_adamw")), m.parameters().toArray(ValueLayout.JAVA_FLOAT), 1e-5, "weights after one AdamW step");
            close(floats(f.get("inference_probabilities_after")), m.predict(x).toArray(), 1e-5, "inference probabilities");
        }
    }
}
