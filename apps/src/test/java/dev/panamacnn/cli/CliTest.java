package dev.panamacnn.cli;

import org.junit.jupiter.api.Tag;

import dev.panamacnn.data.Mnist;
import dev.panamacnn.data.SyntheticDigits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line, in process: real runs on small data, and one clear line (never a stack trace) for bad input. */
@Tag("slow")
class CliTest {
    @TempDir Path dir;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = PanamaCnn.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    static void assertOneCleanError(Result r, int code, String... expected) {
        assertEquals(code, r.code(), "exit code; stderr: " + r.err() + " stdout: " + r.out());
        String first = r.err().lines().findFirst().orElse("");
        assertTrue(first.startsWith("panama-cnn: "), "first line: " + r.err());
        for (String e : expected) assertTrue(first.contains(e), "'" + e + "' in: " + first);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace: " + r.err());
    }

    @Test
    void trainsAKerasJsonModelWithCallbacksAndRefusesUnsupportedOnes() throws Exception {
        SyntheticDigits.write(dir, 600, 200, 4);
        Path json = Path.of("..", "docs", "examples", "mnist_convnet.json");
        Path csv = dir.resolve("log.csv");
        Result r = run("train", "--model-json", json.toString(), "--data-dir", dir.toString(), "--offline", "--epochs", "3",
                "--batch-size", "50", "--threads", "2", "--validation-split", "0.2", "--loss", "sparse_categorical_crossentropy",
                "--optimizer", "adamw", "--early-stopping", "1", "--reduce-lr-on-plateau", "1", "--csv-log", csv.toString(), "--no-checkpoint");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Total params: 34,826"), r.out());
        assertTrue(r.out().contains("val_accuracy"), r.out());
        assertTrue(Files.readString(csv).startsWith("epoch,accuracy,learning_rate,loss,val_accuracy,val_loss\n0,"), Files.readString(csv));
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, Files.readString(json).replace("\"groups\": 1", "\"groups\": 2"));
        assertOneCleanError(run("train", "--model-json", bad.toString(), "--data-dir", dir.toString(), "--offline"), 2,
                "layers[1] (conv2d).groups", "only 1 is supported");
        assertOneCleanError(run("train", "--model-json", dir.resolve("none.json").toString()), 2, "none.json", "no such Keras model JSON file");
        assertOneCleanError(run("train", "--loss", "hinge"), 2, "--loss", "'hinge' is not supported");
    }

    @Test
    void trainsOnAnImageFolder() throws Exception {
        dev.panamacnn.data.ImageFolderTestData.write(dir.resolve("imgs"), 20);
        Path json = dir.resolve("rgb.json");
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var tree = mapper.readTree(Path.of("..", "docs", "examples", "bn_gap_convnet.json").toFile());
        var layers = tree.path("config").path("layers");
        ((com.fasterxml.jackson.databind.node.ObjectNode) layers.get(0).path("config")).set("batch_input_shape", mapper.readTree("[null, 12, 12, 3]"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) layers.get(layers.size() - 1).path("config")).put("units", 3);
        Files.writeString(json, mapper.writeValueAsString(tree));
        Result r = run("train", "--model-json", json.toString(), "--image-dir", dir.resolve("imgs").toString(), "--validation-split", "0.25",
                "--epochs", "1", "--batch-size", "15", "--threads", "2", "--no-checkpoint");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("classes [blue, green, red], 12 x 12 rgb"), r.out());
        assertTrue(r.out().contains("Test accuracy"), r.out());
        assertOneCleanError(run("train", "--image-dir", dir.resolve("imgs").toString(), "--validation-split", "0.25"), 2,
                "has 3 classes [blue, green, red] but the model has 10 outputs");
    }

    @Test
    void exportsASavedModelAsOnnx() throws Exception {
        Path out = dir.resolve("m.onnx");
        Result r = run("export", "--model", "src/test/resources/serve/mnist-convnet", "--onnx", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("graph 'mnist-convnet', input [N, 28, 28, 1], output probabilities [N, 10]"), r.out());
        assertTrue(Files.size(out) > 130_000);
        assertOneCleanError(run("export", "--model", "src/test/resources/serve/mnist-convnet", "--onnx", dir.resolve("no/such/x.onnx").toString()), 2, "no such folder");
    }

    @Test
    void importsAPyTorchOnnxModel() throws Exception {
        Path out = dir.resolve("imported");
        Result r = run("import", "--onnx", "../engine/src/test/resources/fixtures/pytorch/mnist_cnn.onnx", "--save", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Note: the graph ends in logits"), r.out());
        assertTrue(Files.exists(out.resolve("weights.bin")));
        Result k = run("import", "--keras-json", "../engine/src/test/resources/keras/mnist_convnet_keras3.json",
                "--keras-weights", "../engine/src/test/resources/fixtures/keras/mnist_convnet.keras", "--save", dir.resolve("keras").toString());
        assertEquals(0, k.code(), k.err());
        assertTrue(k.out().contains("Total params: 34,826"), k.out());
        assertOneCleanError(run("import", "--save", dir.resolve("y").toString()), 2, "give --onnx FILE, or --keras-json FILE with --keras-weights FILE");
        Path bad = Files.write(dir.resolve("bad.onnx"), new byte[] {1, 2, 3});
        assertOneCleanError(run("import", "--onnx", bad.toString(), "--save", dir.resolve("x").toString()), 1, "bad.onnx", "not a valid ONNX file");
    }

    @Test
    void summaryShowsTheTutorialNetwork() {
        Result r = run("summary");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("Total params: 1,087,106"), r.out());
        assertTrue(r.out().contains("dense_1 (Dense)"), r.out());
    }

    @Test
    void trainsEndToEndOnIdxFiles() throws Exception {
        SyntheticDigits.write(dir, 1200, 300, 4);
        Path model = dir.resolve("model");
        Result r = run("train", "--data-dir", dir.toString(), "--limit", "1000", "--epochs", "2", "--batch-size", "50",
                "--threads", "2", "--seed", "3", "--validation-split", "0.1", "--checkpoint-dir", dir.resolve("ckpt").toString(),
                "--save", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(dir.resolve("ckpt").resolve("checkpoint.pcnn")));
        assertTrue(Files.readString(model.resolve("history.csv")).startsWith("epoch,loss,accuracy,val_loss,val_accuracy,seconds\n1,"));
        Result ev = run("evaluate", "--model", model.toString(), "--data-dir", dir.toString(), "--offline");
        assertEquals(0, ev.code(), ev.err());
        assertTrue(r.out().contains(ev.out().lines().filter(l -> l.startsWith("Test accuracy")).findFirst().orElseThrow()),
                "the saved model scores what the trained one did: " + ev.out());

        Path pics = dir.resolve("pics");
        Result rep = run("report", "--model", model.toString(), "--data-dir", dir.toString(), "--offline", "--out", pics.toString());
        assertEquals(0, rep.code(), rep.err());
        assertEquals(640, javax.imageio.ImageIO.read(pics.resolve("confusion.png").toFile()).getWidth());
        assertEquals(1200, javax.imageio.ImageIO.read(pics.resolve("training-curves.png").toFile()).getWidth());
        assertTrue(rep.out().contains("Test accuracy: "), rep.out());
        Result show = run("show", "--index", "3", "--ascii", "--data-dir", dir.toString(), "--out", pics.resolve("d3.png").toString());
        assertEquals(0, show.code(), show.err());
        assertEquals(224, javax.imageio.ImageIO.read(pics.resolve("d3.png").toFile()).getWidth());
        assertEquals(28 + 1, show.out().lines().filter(l -> !l.startsWith("warning:")).count(), "28 rows of characters and one line of text: " + show.out());
        Result grid = run("show", "--grid", "3x5", "--data-dir", dir.toString(), "--out", pics.resolve("g.png").toString());
        assertEquals(0, grid.code(), grid.err());
        assertTrue(javax.imageio.ImageIO.read(pics.resolve("g.png").toFile()).getWidth() > 5 * 28);
        assertOneCleanError(run("show", "--grid", "0x5", "--data-dir", dir.toString()), 2, "--grid");
        assertOneCleanError(run("show", "--data-dir", dir.toString()), 2, "either --index N or --grid");
        assertTrue(r.out().contains("Epoch 2/2"), r.out());
        assertTrue(r.out().contains("18/18 [==============================]"), r.out());
        assertTrue(r.out().contains("val_accuracy"), r.out());
        assertTrue(r.out().contains("warning: "), "non-original files are flagged: " + r.out());
        String acc = r.out().lines().filter(l -> l.startsWith("Test accuracy: ")).findFirst().orElseThrow();
        double a = Double.parseDouble(acc.substring("Test accuracy: ".length()));
        assertTrue(a > 0.5, "far above chance (0.1): " + a);
    }

    @Test
    void badOptionsGetOneLine() {
        assertOneCleanError(run("train", "--epochs", "0"), 2, "--epochs must be >= 1");
        assertOneCleanError(run("train", "--epochs", "-3"), 2, "--epochs must be >= 1");
        assertOneCleanError(run("train", "--batch-size", "0"), 2, "--batch-size must be >= 1");
        assertOneCleanError(run("train", "--learning-rate", "-1"), 2, "--learning-rate must be > 0");
        assertOneCleanError(run("train", "--threads", "0"), 2, "--threads must be >= 1");
        assertOneCleanError(run("train", "--optimizer", "adagrad"), 2, "--optimizer must be adam, adamw, sgd or rmsprop");
        assertOneCleanError(run("train", "--epochs", "ten"), 2, "--epochs");
        assertOneCleanError(run("train", "--bogus"), 2, "Unknown option");
        assertOneCleanError(run("frobnicate"), 2, "frobnicate");
        assertOneCleanError(run("serve", "--model", "x", "--max-batch", "0"), 2, "--max-batch must be in 1..4096");
        assertOneCleanError(run("serve", "--model", "x", "--port", "70000"), 2, "--port must be in 0..65535");
        assertOneCleanError(run("serve", "--model", "/nonexistent/model"), 1, "/nonexistent/model");
        assertOneCleanError(run(), 2, "missing command");
    }

    @Test
    void dataProblemsGetOneLine() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertOneCleanError(run("train", "--data-dir", empty.toString(), "--offline", "--no-checkpoint"), 1, "MNIST files not found in " + empty);
        Path file = Files.writeString(dir.resolve("afile"), "x");
        assertOneCleanError(run("train", "--data-dir", file.toString(), "--no-checkpoint"), 1, "not a directory");

        Path bad = dir.resolve("bad");
        SyntheticDigits.write(bad, 100, 20, 1);
        byte[] b = Files.readAllBytes(bad.resolve(Mnist.TRAIN_IMAGES));
        Files.write(bad.resolve(Mnist.TRAIN_IMAGES), java.util.Arrays.copyOf(b, b.length - 7));
        assertOneCleanError(run("train", "--data-dir", bad.toString(), "--offline", "--no-checkpoint"), 1, Mnist.TRAIN_IMAGES, "truncated");

        Path small = dir.resolve("small");
        SyntheticDigits.write(small, 100, 20, 1);
        assertOneCleanError(run("train", "--data-dir", small.toString(), "--limit", "500", "--no-checkpoint"), 2, "--limit 500 is larger than the 100");
        assertOneCleanError(run("train", "--data-dir", small.toString(), "--batch-size", "128", "--no-checkpoint"), 2, "--batch-size 128 is larger than the 100");
        assertOneCleanError(run("train", "--data-dir", small.toString(), "--checkpoint-dir", file.resolve("sub").toString()), 1, "--checkpoint-dir", "cannot create the folder");
        assertOneCleanError(run("train", "--data-dir", small.toString(), "--checkpoint-dir", file.toString()), 1, "not a directory");
        assertOneCleanError(run("train", "--data-dir", small.toString(), "--checkpoint-dir", dir.resolve("none").toString(), "--resume"), 2, "--resume: no checkpoint in");
        assertOneCleanError(run("train", "--resume", "--no-checkpoint"), 2, "contradict");
        assertOneCleanError(run("train", "--checkpoint-every", "-1"), 2, "--checkpoint-every must be >= 0");
        assertOneCleanError(run("evaluate", "--model", dir.resolve("nomodel").toString()), 1, "no such model directory");
        Path fakeModel = Files.createDirectories(dir.resolve("fake"));
        Files.writeString(fakeModel.resolve("model.json"), "{\"class_name\": \"Sequential\"");
        assertOneCleanError(run("evaluate", "--model", fakeModel.toString()), 1, "model.json", "not valid JSON");
    }

    @Test
    void ctrlCStopsWithACheckpointAndResumeFinishes() throws Exception {
        Path data = dir.resolve("data"), ckpt = dir.resolve("ckpt");
        SyntheticDigits.write(data, 1000, 100, 5);
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String[] args = {"train", "--data-dir", data.toString(), "--offline", "--epochs", "30", "--batch-size", "50",
                "--checkpoint-dir", ckpt.toString(), "--threads", "2"};
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(javaBin, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), PanamaCnn.class.getName()));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
            String line;
            boolean sent = false;
            while ((line = r.readLine()) != null) {
                out.append(line).append('\n');
                if (!sent && line.startsWith("Epoch 2/")) {
                    new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
                    sent = true;
                }
            }
        }
        assertEquals(130, p.waitFor(), out.toString());
        assertTrue(out.toString().contains("Stopping at the end of this step and writing a checkpoint"), out.toString());
        assertTrue(out.toString().contains("Training stopped. Resume with: bin/panama-cnn train --resume --checkpoint-dir " + ckpt), out.toString());
        assertTrue(Files.exists(ckpt.resolve("checkpoint.pcnn")));
        String[] resume = java.util.Arrays.copyOf(args, args.length + 1);
        resume[args.length] = "--resume";
        resume[5] = "3";   // fewer epochs, so the test stays short: resuming at epoch 2 of 3
        Result r = run(resume);
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("Resuming from " + ckpt), r.out());
        assertTrue(r.out().contains("Epoch 3/3") && !r.out().contains("Epoch 1/3"), r.out());
    }
}
