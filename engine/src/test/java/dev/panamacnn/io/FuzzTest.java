package dev.panamacnn.io;

import dev.panamacnn.data.IdxFormatException;
import dev.panamacnn.data.IdxReader;
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
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random and mutated bytes into every parser (fixed seed, thousands of cases): the only exceptions that may
 * escape are the documented ones ({@link IdxFormatException}, {@link ModelFormatException}), each with a
 * message that starts with the file's path.
 */
class FuzzTest {
    @TempDir Path dir;
    final Rng rng = new Rng(20261128);

    interface Parser { void parse(Path p) throws Exception; }

    int accepted, rejected;

    void expectCleanOutcome(Path p, Parser parser, Class<? extends IOException> documented, String what) {
        try {
            parser.parse(p);
            accepted++;
        } catch (Exception e) {
            if (!documented.isInstance(e)) {
                AssertionError a = new AssertionError(what + ": undocumented " + e.getClass().getName() + ": " + e.getMessage());
                a.initCause(e);
                throw a;
            }
            if (e.getMessage() == null || !e.getMessage().startsWith(p.toString())) fail(what + ": message does not name the file: " + e.getMessage());
            rejected++;
        }
    }

    byte[] mutate(byte[] good) {
        byte[] b = good.clone();
        switch (rng.nextInt(6)) {
            case 0 -> { for (int i = 0, n = 1 + rng.nextInt(4); i < n; i++) b[rng.nextInt(b.length)] = (byte) rng.nextLong(); }
            case 1 -> b = Arrays.copyOf(b, rng.nextInt(b.length));
            case 2 -> {
                byte[] tail = new byte[1 + rng.nextInt(64)];
                for (int i = 0; i < tail.length; i++) tail[i] = (byte) rng.nextLong();
                b = Arrays.copyOf(b, b.length + tail.length);
                System.arraycopy(tail, 0, b, good.length, tail.length);
            }
            case 3 -> { int i = rng.nextInt(Math.min(b.length, 24)); b[i] = (byte) rng.nextLong(); }   // the header
            case 4 -> { int i = rng.nextInt(b.length); b[i] ^= (byte) (1 << rng.nextInt(8)); }
            default -> { b = new byte[rng.nextInt(200)]; for (int i = 0; i < b.length; i++) b[i] = (byte) rng.nextLong(); }
        }
        return b;
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bo)) { g.write(b); }
        return bo.toByteArray();
    }

    @Test
    void idxReader() throws Exception {
        SyntheticDigits.write(dir, 20, 5, 1);
        byte[] images = Files.readAllBytes(dir.resolve(Mnist.TRAIN_IMAGES)), labels = Files.readAllBytes(dir.resolve(Mnist.TRAIN_LABELS));
        byte[][] seeds = {images, labels, gzip(images), gzip(labels)};
        Path p = dir.resolve("fuzz-idx");
        for (int i = 0; i < 3000; i++) {
            Files.write(p, mutate(seeds[i % 4]));
            int rank = i % 2 == 0 ? 3 : 1;
            expectCleanOutcome(p, f -> IdxReader.read(f, rank), IdxFormatException.class, "idx case " + i);
        }
        assertTrue(rejected > 2000, "most mutations are caught: " + rejected + " rejected, " + accepted + " accepted");
    }

    @Test
    void mnistPairs() throws Exception {
        Path d = dir.resolve("pair");
        SyntheticDigits.write(d, 20, 5, 1);
        byte[] labels = Files.readAllBytes(d.resolve(Mnist.TEST_LABELS));
        for (int i = 0; i < 500; i++) {
            Files.write(d.resolve(Mnist.TEST_LABELS), mutate(labels));
            expectCleanOutcome(d.resolve(Mnist.TEST_LABELS), f -> Mnist.dataset(d.resolve(Mnist.TEST_IMAGES), f),
                    IdxFormatException.class, "pair case " + i);
        }
    }

    @Test
    void digitImages() throws Exception {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(30, 20, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 5; y < 15; y++) for (int x = 10; x < 14; x++) img.setRGB(x, y, 0xFFFFFF);
        byte[][] seeds = new byte[3][];
        for (int k = 0; k < 2; k++) {
            java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(img, k == 0 ? "png" : "bmp", bo);
            seeds[k] = bo.toByteArray();
        }
        StringBuilder pgm = new StringBuilder("P5 30 20 255\n");
        byte[] head = pgm.toString().getBytes(StandardCharsets.US_ASCII);
        seeds[2] = Arrays.copyOf(head, head.length + 600);
        for (int i = 0; i < 100; i++) seeds[2][head.length + 200 + i] = (byte) 250;
        Path p = dir.resolve("fuzz-image");
        for (int i = 0; i < 1200; i++) {
            Files.write(p, mutate(seeds[i % 3]));
            expectCleanOutcome(p, dev.panamacnn.data.DigitImages::load, dev.panamacnn.data.DigitImages.ImageFormatException.class, "image case " + i);
        }
    }

    Path savedModel() throws Exception {
        Path data = dir.resolve("data");
        SyntheticDigits.write(data, 64, 8, 2);
        Path out = dir.resolve("model");
        try (Sequential m = new Sequential(new Conv2D(2, 3, 3, Activation.RELU, Shape.of(28, 28, 1)), new MaxPool2D(2, 2),
                new Flatten(), new Dense(10, Activation.SOFTMAX)).threads(1)) {
            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            m.fit(Mnist.load(data, w -> {}).train(), FitOptions.builder().batchSize(32).epochs(1).verbose(false)
                    .checkpoint(dir.resolve("ckpt"), 0).build());
            m.save(out);
        }
        return out;
    }

    @Test
    void modelFilesAndCheckpoints() throws Exception {
        Path model = savedModel();
        Path w = model.resolve(ModelIO.WEIGHTS), j = model.resolve(ModelIO.MODEL_JSON);
        byte[] weights = Files.readAllBytes(w);
        String json = Files.readString(j);
        for (int i = 0; i < 1500; i++) {
            Files.write(w, mutate(weights));
            expectCleanOutcome(w, f -> Sequential.load(model).close(), ModelFormatException.class, "weights case " + i);
        }
        Files.write(w, weights);
        String alphabet = "{}[]\":,0123456789-.e abcdefghijklmnopqrstuvwxyzACDFMS_";
        for (int i = 0; i < 1500; i++) {
            StringBuilder sb = new StringBuilder(json);
            for (int k = 0, n = 1 + rng.nextInt(3); k < n && sb.length() > 0; k++) {
                int at = rng.nextInt(sb.length());
                switch (rng.nextInt(3)) {
                    case 0 -> sb.deleteCharAt(at);
                    case 1 -> sb.insert(at, alphabet.charAt(rng.nextInt(alphabet.length())));
                    default -> sb.setCharAt(at, alphabet.charAt(rng.nextInt(alphabet.length())));
                }
            }
            Files.writeString(j, sb.toString());
            // errors may name model.json or, for a config that no longer matches, weights.bin
            try {
                Sequential.load(model).close();
                accepted++;
            } catch (ModelFormatException e) {
                assertTrue(e.getMessage().startsWith(j.toString()) || e.getMessage().startsWith(w.toString()), e.getMessage());
                rejected++;
            } catch (Exception e) {
                AssertionError a = new AssertionError("json case " + i + ": undocumented " + e + "\n" + sb);
                a.initCause(e);
                throw a;
            }
        }
        // a checkpoint whose header was edited but whose checksum was recomputed: only the semantic checks stand
        TensorFile ck = TensorFile.read(Checkpoint.file(dir.resolve("ckpt")));
        Path bad = dir.resolve("ckpt2");
        String[] fields = {"epoch", "step", "batch_size", "iterations", "epochs"};
        for (int i = 0; i < 300; i++) {
            TensorFile t = TensorFile.parse(Checkpoint.file(dir.resolve("ckpt")), ck.toBytes());
            t.meta().put(fields[rng.nextInt(fields.length)], (int) (rng.nextLong() % 100));
            if (rng.nextInt(4) == 0) t.putInts("order", new int[] {rng.nextInt(70), 1, 2});
            t.write(Checkpoint.file(bad));
            try (Sequential m = new Sequential(new Conv2D(2, 3, 3, Activation.RELU, Shape.of(28, 28, 1)), new MaxPool2D(2, 2),
                    new Flatten(), new Dense(10, Activation.SOFTMAX)).threads(1)) {
                m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                expectCleanOutcome(Checkpoint.file(bad), f -> Checkpoint.restore(bad, m.network(), 64, 32), ModelFormatException.class, "checkpoint case " + i);
            }
        }
        assertTrue(rejected > 1500, rejected + " rejected, " + accepted + " accepted");
        assertTrue(new String(Files.readAllBytes(w), 0, 8, StandardCharsets.US_ASCII).equals("PCNNTNSR"));
    }
}
