package dev.panamacnn.io.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamacnn.io.ModelFormatException;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX import. The PyTorch fixture ({@code fixtures/pytorch/mnist_cnn.onnx}, with PyTorch's probabilities on 50 real
 * test digits in {@code mnist_cnn_expected.json}) was made on this machine by
 * {@code /usr/bin/python3 benchmarks/pytorch/make_onnx_fixture.py engine/src/test/resources/fixtures/pytorch}: a CNN with
 * padding, BatchNormalization, a Flatten of NCHW data and two Linear layers, trained in PyTorch and exported by
 * {@code torch.onnx.export} (opset 13). Also: export, import, same predictions; hostile files get one line.
 */
class OnnxImportTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/pytorch");

    @Test
    void aPyTorchNetworkPredictsAsPyTorchDid() throws Exception {
        JsonNode f = new ObjectMapper().readTree(FIXTURE.resolve("mnist_cnn_expected.json").toFile());
        int n = f.path("images_uint8").size();
        try (Arena a = Arena.ofConfined(); Sequential m = Sequential.fromOnnx(FIXTURE.resolve("mnist_cnn.onnx"))) {
            assertTrue(m.importNotes().stream().anyMatch(s -> s.contains("softmax")), m.importNotes().toString());
            Tensor x = Tensor.allocate(a, Shape.of(n, 28, 28, 1));   // one channel: NCHW and NHWC hold the same order
            for (int i = 0; i < n; i++) for (int j = 0; j < 784; j++) x.set((long) i * 784 + j, f.path("images_uint8").get(i).get(j).asInt() / 255f);
            float[] p = m.predict(x).toArray();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < 10; j++) {
                    assertEquals(f.path("probabilities").get(i).get(j).asDouble(), p[i * 10 + j], 1e-5, "digit " + i + " class " + j);
                }
            }
            assertTrue(m.summary().contains("Total params"), m.summary());
        }
    }

    @Test
    void exportThenImportPredictsTheSame(@TempDir Path dir) throws Exception {
        for (var make : java.util.List.<java.util.function.Supplier<Sequential>>of(dev.panamacnn.models.Models::kerasMnistTutorial, () -> new Sequential(
                new dev.panamacnn.nn.InputLayer(Shape.of(9, 9, 3)), new dev.panamacnn.nn.Rescaling(0.5f),
                new dev.panamacnn.nn.Conv2D(4, 3, 3, dev.panamacnn.activations.Activation.RELU).padding(dev.panamacnn.nn.Padding.SAME),
                new dev.panamacnn.nn.BatchNormalization(), new dev.panamacnn.nn.AveragePooling2D(2, 2), new dev.panamacnn.nn.Flatten(),
                new dev.panamacnn.nn.Dense(6, dev.panamacnn.activations.Activation.TANH), new dev.panamacnn.nn.Dense(3, dev.panamacnn.activations.Activation.SOFTMAX)))) {
            try (Arena a = Arena.ofConfined(); Sequential m = make.get().threads(2)) {
                m.compile(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                OnnxExportTest.trainAFewSteps(m, m.inputShape(), m.outputShape().size());
                Path file = dir.resolve("m.onnx");
                m.exportOnnx(file);
                try (Sequential back = Sequential.fromOnnx(file)) {
                    assertEquals(m.inputShape(), back.inputShape());
                    Tensor x = Tensor.allocate(a, Shape.of(OnnxExportTest.prepend(4, m.inputShape().dims())));
                    Rng r = new Rng(2);
                    for (long i = 0; i < x.size(); i++) x.set(i, (float) r.nextDouble());
                    float[] p = m.predict(x).toArray(), q = back.predict(x).toArray();
                    for (int i = 0; i < p.length; i++) assertEquals(p[i], q[i], 1e-6, "output " + i);
                }
            }
        }
    }

    static void refused(Path dir, byte[] bytes, String... parts) throws Exception {
        Path f = dir.resolve("bad.onnx");
        Files.write(f, bytes);
        var e = assertThrows(ModelFormatException.class, () -> Sequential.fromOnnx(f).close());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' in: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    }

    @Test
    void badAndHostileFilesGetOneLine(@TempDir Path dir) throws Exception {
        byte[] good = Files.readAllBytes(FIXTURE.resolve("mnist_cnn.onnx"));
        refused(dir, java.util.Arrays.copyOf(good, good.length / 3), "not a valid ONNX file");
        refused(dir, new byte[0], "no graph");
        refused(dir, "hello, not protobuf at all".getBytes(), "not a valid ONNX file");
        // a length-delimited field declaring 2 GiB: refused before anything is allocated for it
        refused(dir, new byte[] {0x3a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 1, 2, 3}, "not a valid ONNX file");
        // an unknown op, found by name in the graph
        byte[] renamed = new String(good, java.nio.charset.StandardCharsets.ISO_8859_1).replace("Relu", "Selu").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        refused(dir, renamed, "(Selu)", "op Selu is not supported");
        // random corruption never crashes or hangs: one line each time
        Rng r = new Rng(1);
        for (int t = 0; t < 200; t++) {
            byte[] b = good.clone();
            for (int k = 0; k < 8; k++) b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            Path f = dir.resolve("fuzz.onnx");
            Files.write(f, b);
            try {
                Sequential.fromOnnx(f).close();
            } catch (ModelFormatException e) {
                assertTrue(!e.getMessage().contains("\n"), e.getMessage());
            }
        }
    }
}
