package dev.panamacnn.io;

import dev.panamacnn.data.Mnist;
import dev.panamacnn.data.SyntheticDigits;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.activations.Activation;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Flatten;
import dev.panamacnn.nn.MaxPool2D;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.loss.Metric;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Model files: exact round trip, and specific errors for every kind of damage. */
class ModelIOTest {
    @TempDir Path dir;

    static Sequential trained(Path data) throws Exception {
        SyntheticDigits.write(data, 300, 50, 3);
        Mnist m = Mnist.load(data, w -> {});
        Sequential model = new Sequential(
                new Conv2D(4, 3, 3, Activation.RELU, Shape.of(28, 28, 1)),
                new MaxPool2D(2, 2),
                new Conv2D(6, 3, 3, 2, 2, Activation.TANH, null),
                new Flatten(),
                new Dense(12, Activation.SIGMOID),
                new Dense(10, Activation.SOFTMAX)).seed(4).threads(2);
        model.compile(new Adam(0.002f), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        model.fit(m.train(), FitOptions.builder().batchSize(32).epochs(1).verbose(false).build());
        return model;
    }

    @Test
    void saveAndLoadPredictsBitIdentically() throws Exception {
        Path data = dir.resolve("data"), out = dir.resolve("model");
        Mnist mnist;
        try (Sequential model = trained(data)) {
            mnist = Mnist.load(data, w -> {});
            model.save(out);
            float[] before = model.predict(mnist.test().x()).toArray();
            try (Sequential loaded = Sequential.load(out)) {
                assertEquals(model.paramCount(), loaded.paramCount());
                assertEquals(model.summary(), loaded.summary());
                assertArrayEquals(before, loaded.predict(mnist.test().x()).toArray(), 0f);
                assertEquals("Adam", loaded.optimizer().name());
            }
        }
        String json = Files.readString(out.resolve("model.json"));
        assertTrue(json.contains("\"class_name\" : \"Conv2D\"") && json.contains("\"batch_input_shape\" : [ null, 28, 28, 1 ]"), json);
    }

    private Path saved() throws Exception {
        Path out = dir.resolve("m" + System.nanoTime());
        try (Sequential model = trained(dir.resolve("d" + System.nanoTime()))) {
            model.save(out);
        }
        return out;
    }

    static void rejects(Path model, String... expected) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Sequential.load(model).close());
        for (String s : expected) assertTrue(e.getMessage().contains(s), "'" + s + "' in: " + e.getMessage());
    }

    @Test
    void damagedWeightsAreRejected() throws Exception {
        Path m = saved();
        Path w = m.resolve("weights.bin");
        byte[] good = Files.readAllBytes(w);
        Files.write(w, Arrays.copyOf(good, good.length - 100));
        rejects(m, "weights.bin", "checksum mismatch");
        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 1;
        Files.write(w, flipped);
        rejects(m, "checksum mismatch");
        byte[] version = good.clone();
        version[8] = 9;
        Files.write(w, version);
        rejects(m, "format version 9");
        Files.write(w, "not a weights file at all".getBytes());
        rejects(m, "bad magic");
        Files.write(w, new byte[0]);
        rejects(m, "too short");
        Files.delete(w);
        rejects(m, "weights.bin: no such file");
    }

    @Test
    void editedJsonIsRejected() throws Exception {
        Path m = saved();
        Path j = m.resolve("model.json");
        String good = Files.readString(j);
        Files.writeString(j, good.replace("\"filters\" : 4", "\"filters\" : 5"));
        rejects(m, "weights.bin", "conv2d/kernel", "[3, 3, 1, 4]");
        Files.writeString(j, good.replace("\"Flatten\"", "\"Flattener\""));
        rejects(m, "model.json", "unknown layer class 'Flattener'");
        Files.writeString(j, good.replace("\"relu\"", "\"mish\""));
        rejects(m, "unknown activation 'mish'");
        Files.writeString(j, good.replace("\"filters\" : 4", "\"filters\" : 4, \"dilation_rate\" : [ 2, 2 ]"));
        rejects(m, "dilation_rate", "only [1, 1] is supported");
        Files.writeString(j, good.replace("\"filters\" : 4", "\"filters\" : 4, \"kernel_regularizer\" : { \"class_name\" : \"L2\" }"));
        rejects(m, "Conv2D argument 'kernel_regularizer'", "is not supported");
        Files.writeString(j, good.substring(0, good.length() / 2));
        rejects(m, "model.json", "not valid JSON");
        Files.writeString(j, good.replace("\"units\" : 12", "\"units\" : -12"));
        rejects(m, "units", "positive integer");
        Files.writeString(j, good.replace("\"kernel_size\" : [ 3, 3 ]", "\"kernel_size\" : [ 300, 3 ]"));
        rejects(m, "larger than input");
        Files.writeString(j, good.replace("\"name\" : \"Adam\"", "\"name\" : \"Adagrad\""));
        rejects(m, "optimizer.name 'Adagrad'");
        rejects(dir.resolve("nope"), "no such model directory");
    }

    @Test
    void tensorFileRoundTrip() throws Exception {
        TensorFile tf = new TensorFile();
        tf.putFloats("a", new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, Float.NaN});
        tf.putInts("b", new int[] {7, -1, 3});
        tf.meta().put("x", 42);
        Path p = dir.resolve("t.bin");
        tf.write(p);
        TensorFile back = TensorFile.read(p);
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, Float.NaN}, back.get(p, "a").floats());
        assertArrayEquals(new int[] {2, 3}, back.get(p, "a").shape());
        assertArrayEquals(new int[] {7, -1, 3}, back.get(p, "b").ints());
        assertEquals(42, back.meta().path("x").asInt());
        assertTrue(new String(Files.readAllBytes(p), 0, 8, StandardCharsets.US_ASCII).equals("PCNNTNSR"));
    }
}
