package dev.panamacnn.cli;

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
    void summaryShowsTheTutorialNetwork() {
        Result r = run("summary");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("Total params: 1,087,106"), r.out());
        assertTrue(r.out().contains("dense_1 (Dense)"), r.out());
    }

    @Test
    void trainsEndToEndOnIdxFiles() throws Exception {
        SyntheticDigits.write(dir, 1200, 300, 4);
        Result r = run("train", "--data-dir", dir.toString(), "--limit", "1000", "--epochs", "2", "--batch-size", "50",
                "--threads", "2", "--seed", "3", "--validation-split", "0.1");
        assertEquals(0, r.code(), r.err());
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
        assertOneCleanError(run("train", "--optimizer", "rmsprop"), 2, "--optimizer must be adam or sgd");
        assertOneCleanError(run("train", "--epochs", "ten"), 2, "--epochs");
        assertOneCleanError(run("train", "--bogus"), 2, "Unknown option");
        assertOneCleanError(run("frobnicate"), 2, "frobnicate");
        assertOneCleanError(run(), 2, "missing command");
    }

    @Test
    void dataProblemsGetOneLine() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertOneCleanError(run("train", "--data-dir", empty.toString(), "--offline"), 1, "MNIST files not found in " + empty);
        Path file = Files.writeString(dir.resolve("afile"), "x");
        assertOneCleanError(run("train", "--data-dir", file.toString()), 1, "not a directory");

        Path bad = dir.resolve("bad");
        SyntheticDigits.write(bad, 100, 20, 1);
        byte[] b = Files.readAllBytes(bad.resolve(Mnist.TRAIN_IMAGES));
        Files.write(bad.resolve(Mnist.TRAIN_IMAGES), java.util.Arrays.copyOf(b, b.length - 7));
        assertOneCleanError(run("train", "--data-dir", bad.toString(), "--offline"), 1, Mnist.TRAIN_IMAGES, "truncated");

        Path small = dir.resolve("small");
        SyntheticDigits.write(small, 100, 20, 1);
        assertOneCleanError(run("train", "--data-dir", small.toString(), "--limit", "500"), 2, "--limit 500 is larger than the 100");
        assertOneCleanError(run("train", "--data-dir", small.toString(), "--batch-size", "128"), 2, "--batch-size 128 is larger than the 100");
    }
}
