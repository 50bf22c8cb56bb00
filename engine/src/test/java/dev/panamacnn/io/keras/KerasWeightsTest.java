package dev.panamacnn.io.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamacnn.io.ModelFormatException;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keras weights in. The fixtures are hand-built (there is no Keras on this machine) with h5py by
 * {@code /usr/bin/python3 benchmarks/keras/make_weights_fixtures.py engine/src/test/resources/fixtures/keras}, following
 * the layouts of Keras 3's saving_lib (H5IOStore: {@code layers/<name>/vars/<i>}; the {@code .keras} zip with
 * {@code config.json} and {@code model.weights.h5}) and of the Keras 2 legacy HDF5 format ({@code layer_names},
 * {@code weight_names}); that script also computes the simple convnet's output with numpy, the reference here.
 */
class KerasWeightsTest {
    static final Path FIX = Path.of("src/test/resources/fixtures/keras");
    static final Path JSONS = Path.of("src/test/resources/keras");

    @Test
    void keras3WeightsAndTheKerasArchivePredictAsNumpyDoes() throws Exception {
        JsonNode f = new ObjectMapper().readTree(FIX.resolve("mnist_convnet_expected.json").toFile());
        for (String w : new String[] {"mnist_convnet.weights.h5", "mnist_convnet.keras"}) {
            try (Arena a = Arena.ofConfined();
                 Sequential m = Sequential.fromKeras(JSONS.resolve("mnist_convnet_keras3.json"), FIX.resolve(w), new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY)) {
                Tensor x = Tensor.allocate(a, Shape.of(3, 28, 28, 1));
                for (int i = 0; i < x.size(); i++) x.set(i, (float) f.path("x_nhwc").get(i).asDouble());
                float[] p = m.predict(x).toArray();
                for (int i = 0; i < p.length; i++) assertEquals(f.path("probabilities").get(i).asDouble(), p[i], 1e-5, w + " output " + i);
            }
        }
    }

    @Test
    void keras2LegacyHdf5WithBatchNormalization() throws Exception {
        JsonNode v = new ObjectMapper().readTree(FIX.resolve("bn_gap_tfkeras2_values.json").toFile());
        try (Sequential m = Sequential.fromKeras(JSONS.resolve("bn_gap_tfkeras2.json"), FIX.resolve("bn_gap_tfkeras2.h5"), new Adam(),
                Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY)) {
            String[] order = {"conv2d", "batch_normalization", "conv2d_1", "batch_normalization_1", "dense"};
            long off = 0;
            for (String layer : order) {
                for (JsonNode tensor : v.path(layer)) {
                    for (int i = 0; i < tensor.size(); i++) {
                        assertEquals((float) tensor.get(i).asDouble(), m.parameters().getAtIndex(ValueLayout.JAVA_FLOAT, off + i), 0f, layer + "[" + i + "]");
                    }
                    off += tensor.size();
                }
            }
            assertEquals(m.paramCount(), off, "every parameter came from the file, moving statistics included");
        }
    }

    /** Randomly corrupted weight files never crash or hang the reader: a ModelFormatException naming the file, or a model. */
    @Test
    void corruptedFilesGetOneLine(@TempDir Path dir) throws Exception {
        byte[] good = Files.readAllBytes(FIX.resolve("mnist_convnet.weights.h5"));
        dev.panamacnn.runtime.Rng r = new dev.panamacnn.runtime.Rng(3);
        for (int t = 0; t < 150; t++) {
            byte[] b = t % 10 == 0 ? java.util.Arrays.copyOf(good, r.nextInt(good.length)) : good.clone();
            if (t % 10 != 0) for (int k = 0; k < 6; k++) b[r.nextInt(2048)] = (byte) r.nextInt(256);   // the superblock and first objects
            Path f = Files.write(dir.resolve("fuzz.weights.h5"), b);
            try {
                Sequential.fromKeras(JSONS.resolve("mnist_convnet_keras3.json"), f, new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY).close();
            } catch (ModelFormatException e) {
                assertTrue(e.getMessage().startsWith(f.toString()) && !e.getMessage().contains("\n"), e.getMessage());
            }
        }
    }

    @Test
    void mismatchesAndBadFilesAreNamed(@TempDir Path dir) throws Exception {
        var e = assertThrows(ModelFormatException.class, () -> Sequential.fromKeras(JSONS.resolve("bn_gap_tfkeras2.json"), FIX.resolve("mnist_convnet.weights.h5"),
                new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY).close());
        assertTrue(e.getMessage().contains("mnist_convnet.weights.h5") && e.getMessage().contains("layers/conv2d/vars/0 has shape [3, 3, 1, 32], the model's kernel is [3, 3, 1, 16]"), e.getMessage());
        var e2 = assertThrows(ModelFormatException.class, () -> Sequential.fromKeras(JSONS.resolve("mnist_convnet_keras3.json"), FIX.resolve("bn_gap_tfkeras2.h5"),
                new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY).close());
        assertTrue(e2.getMessage().contains("shape") || e2.getMessage().contains("layers with weights"), e2.getMessage());
        Path junk = Files.write(dir.resolve("junk.h5"), "not hdf5 at all".getBytes());
        var e3 = assertThrows(ModelFormatException.class, () -> Sequential.fromKeras(JSONS.resolve("mnist_convnet_keras3.json"), junk,
                new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY).close());
        assertTrue(e3.getMessage().startsWith(junk.toString()), e3.getMessage());
        Path badZip = Files.write(dir.resolve("x.keras"), "PK not a zip".getBytes());
        var e4 = assertThrows(ModelFormatException.class, () -> Sequential.fromKeras(JSONS.resolve("mnist_convnet_keras3.json"), badZip,
                new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY).close());
        assertTrue(e4.getMessage().contains("x.keras"), e4.getMessage());
    }
}
