package dev.panamacnn.models;

import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.nn.BatchNormalization;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.LayerConfigException;
import dev.panamacnn.nn.Padding;
import dev.panamacnn.optim.Adam;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keras architectures in. The fixtures are hand-built (there is no Keras on this machine), field for field in the
 * layouts that {@code model.to_json()} writes: {@code mnist_convnet_keras3.json} the Keras 3 layout of the official
 * "simple MNIST convnet" example (module/registered_name, {@code batch_shape}, DTypePolicy dtypes, nested initializer
 * objects, build_config), {@code bn_gap_tfkeras2.json} the tf.keras 2.15 layout ({@code batch_input_shape}, string
 * dtypes, {@code axis: [3]}) of a BatchNormalization + same padding + global pooling network.
 */
class KerasJsonTest {
    static String fixture(String name) throws Exception {
        return new String(KerasJsonTest.class.getResourceAsStream("/keras/" + name).readAllBytes());
    }

    @Test
    void keras3SimpleMnistConvnet() throws Exception {
        try (Sequential m = Sequential.fromKerasJson(fixture("mnist_convnet_keras3.json"))) {
            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            assertEquals(34_826, m.paramCount(), "Keras' summary of the example: Total params: 34,826");
            String s = m.summary();
            assertTrue(s.contains("dropout (Dropout)"), s);
            assertTrue(s.contains("(None, 5, 5, 64)"), s);
        }
    }

    @Test
    void tfKeras2BatchNormSamePaddingGlobalPooling() throws Exception {
        try (Sequential m = Sequential.fromKerasJson(fixture("bn_gap_tfkeras2.json"))) {
            m.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.SPARSE_CATEGORICAL_ACCURACY);
            Conv2D c = assertInstanceOf(Conv2D.class, m.layers().get(1));
            assertEquals(Padding.SAME, c.padding());
            assertInstanceOf(BatchNormalization.class, m.layers().get(2));
            // conv 3*3*1*16+16, bn 4*16, conv 3*3*16*32+32, bn 4*32, dense 32*10+10
            assertEquals(160 + 64 + 4640 + 128 + 330, m.paramCount());
            assertTrue(m.summary().contains("Non-trainable params: 96"), m.summary());
        }
    }

    static void refused(String json, String... parts) {
        var e = assertThrows(LayerConfigException.class, () -> Sequential.fromKerasJson(json).close());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' in: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void unsupportedArgumentsAreRefusedByName() throws Exception {
        String k3 = fixture("mnist_convnet_keras3.json");
        refused(k3.replaceFirst("\"kernel_regularizer\": null", "\"kernel_regularizer\": {\"module\": \"keras.regularizers\", \"class_name\": \"L2\", \"config\": {\"l2\": 0.01}}"),
                "layers[1] (conv2d)", "Conv2D argument 'kernel_regularizer'", "is not supported", "supported: kernel_size");
        refused(k3.replaceFirst("\"dilation_rate\": \\[1, 1\\]", "\"dilation_rate\": [2, 2]"), "conv2d", "dilation_rate", "only [1, 1]");
        refused(k3.replaceFirst("\"data_format\": \"channels_last\"", "\"data_format\": \"channels_first\""), "data_format", "channels_last");
        refused(k3.replaceFirst("\"class_name\": \"Conv2D\"", "\"class_name\": \"Conv3D\""), "unknown layer class 'Conv3D'");
        refused(k3.replaceFirst("\"activation\": \"relu\"", "\"activation\": \"mish\""), "unknown activation 'mish'");
        refused(k3.replaceFirst("\"GlorotUniform\", \"config\": \\{\"seed\": null\\}", "\"GlorotUniform\", \"config\": {\"seed\": 7}"), "seeded initializer");
        refused(k3.replaceFirst("\"GlorotUniform\"", "\"Orthogonal\""), "initializer 'Orthogonal' is not supported");
        refused(k3.replaceFirst("\"trainable\": true, \"dtype\": \\{", "\"trainable\": false, \"dtype\": {"), "frozen model");
        refused(k3.replaceFirst("\"name\": \"conv2d\", \"trainable\": true", "\"name\": \"conv2d\", \"trainable\": false"), "conv2d", "trainable=false");
        refused(k3.replaceFirst("\"name\": \"float32\"", "\"name\": \"mixed_float16\""), "only float32");
        refused(k3.replaceFirst("\"class_name\": \"Sequential\"", "\"class_name\": \"Functional\""), "only Sequential models");
        refused(k3.replaceFirst("\"input_layer\"}, \"registered_name\": null", "\"input_layer\"}, \"registered_name\": \"MyLayer\""), "custom layer 'MyLayer'");
        refused(k3.substring(0, 100), "not valid JSON");
    }

    @Test
    void fileErrorsNameTheFile(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("model.json");
        Files.writeString(f, fixture("mnist_convnet_keras3.json").replace("[null, 28, 28, 1]", "[null, 2, 2, 1]"));
        var e = assertThrows(LayerConfigException.class, () -> Sequential.fromKerasJson(f).close());
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("larger than input"), e.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Sequential.fromKerasJson(tmp.resolve("nope.json")));
    }
}
