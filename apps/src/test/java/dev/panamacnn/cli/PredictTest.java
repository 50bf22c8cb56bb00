package dev.panamacnn.cli;

import org.junit.jupiter.api.Tag;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamacnn.data.DigitImages;
import dev.panamacnn.data.IdxReader;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.data.SyntheticDigits;
import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code predict} on real picture files made from IDX digits: different sizes (28, 64, 200 px), inverted
 * colors, color and grayscale, margins. The model is trained on digits normalized the MNIST way, as MNIST was.
 */
@Tag("slow")
class PredictTest {
    @TempDir Path dir;

    /** Writes digit {@code i} of {@code px} as a PNG: scaled to size px, optionally inverted, with a margin. */
    static Path png(Path file, byte[] px, int off, int size, boolean invert, int margin, boolean color) throws Exception {
        int m = margin * size / 28, w = size + 2 * m;
        BufferedImage img = new BufferedImage(w, w, color ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < w; y++)
            for (int x = 0; x < w; x++) {
                int sx = (x - m) * 28 / size, sy = (y - m) * 28 / size;
                int v = sx >= 0 && sx < 28 && sy >= 0 && sy < 28 && x >= m && y >= m ? px[off + sy * 28 + sx] & 0xFF : 0;
                if (invert) v = 255 - v;
                img.setRGB(x, y, color ? (v << 16) | ((v * 3 / 4) << 8) | (v / 2) : (v << 16) | (v << 8) | v);
            }
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    @Test
    void classifiesPictureFilesOfDigits() throws Exception {
        // raw synthetic digits, then the training set normalized as MNIST's was (crop, 20x20, center of mass)
        Path raw = dir.resolve("raw"), norm = dir.resolve("norm");
        SyntheticDigits.write(raw, 2500, 100, 17);
        Files.createDirectories(norm);
        for (String[] pair : new String[][] {{Mnist.TRAIN_IMAGES, Mnist.TRAIN_LABELS}, {Mnist.TEST_IMAGES, Mnist.TEST_LABELS}}) {
            var f = IdxReader.read(raw.resolve(pair[0]), 3);
            byte[] out = new byte[f.data().length];
            for (int i = 0; i < f.count(); i++) {
                float[][] g = new float[28][28];
                for (int j = 0; j < 784; j++) g[j / 28][j % 28] = (f.data()[i * 784 + j] & 0xFF) / 255f;
                float[] v = DigitImages.mnistStyle(raw, g);
                for (int j = 0; j < 784; j++) out[i * 784 + j] = (byte) Math.round(v[j] * 255);
            }
            IdxReader.write(norm.resolve(pair[0]), new int[] {f.count(), 28, 28}, out);
            Files.copy(raw.resolve(pair[1]), norm.resolve(pair[1]));
        }
        Path model = dir.resolve("model");
        CliTest.Result t = CliTest.run("train", "--data-dir", norm.toString(), "--offline", "--epochs", "3", "--batch-size", "50",
                "--no-checkpoint", "--save", model.toString(), "--seed", "1");
        assertEquals(0, t.code(), t.err());

        var images = IdxReader.read(raw.resolve(Mnist.TEST_IMAGES), 3);
        var labels = IdxReader.read(raw.resolve(Mnist.TEST_LABELS), 1);
        Path pngs = Files.createDirectories(dir.resolve("pngs"));
        int[] sizes = {28, 64, 200};
        List<String> args = new ArrayList<>(List.of("predict", "--model", model.toString(), "--json"));
        for (int i = 0; i < 100; i++) {
            Path p = png(pngs.resolve("d" + i + ".png"), images.data(), i * 784, sizes[i % 3], (i / 3) % 2 == 0, (i * 7) % 40, i % 4 == 0);
            args.add(p.toString());
        }
        CliTest.Result r = CliTest.run(args.toArray(new String[0]));
        assertEquals(0, r.code(), r.err());
        // auto, and few images: the CPU engine, without looking for a device
        assertTrue(r.err().contains("Backend: CPU engine (auto: 100 images, at most 1000"), r.err());
        JsonNode res = new ObjectMapper().readTree(r.out());
        int correct = 0;
        for (int i = 0; i < 100; i++) {
            assertEquals(10, res.get(i).get("probabilities").size());
            if (res.get(i).get("digit").asInt() == labels.unsigned(i)) correct++;
        }
        System.out.println("PredictTest: " + correct + " of 100 picture files classified correctly");
        assertTrue(correct >= 97, correct + " of 100 picture files classified correctly");
    }

    @Test
    void badImagesGetOneLine() throws Exception {
        Path model = dir.resolve("m");
        SyntheticDigits.write(dir.resolve("d"), 200, 20, 2);
        assertEquals(0, CliTest.run("train", "--data-dir", dir.resolve("d").toString(), "--offline", "--epochs", "1", "--batch-size", "50",
                "--no-checkpoint", "--save", model.toString()).code());
        Path empty = Files.write(dir.resolve("empty.png"), new byte[0]);
        CliTest.assertOneCleanError(CliTest.run("predict", "--model", model.toString(), empty.toString()), 1, "empty.png", "empty file");
        Path text = Files.writeString(dir.resolve("notes.png"), "this is not an image");
        CliTest.assertOneCleanError(CliTest.run("predict", "--model", model.toString(), text.toString()), 1, "notes.png", "not an image");
        Path blank = dir.resolve("blank.png");
        ImageIO.write(new BufferedImage(40, 30, BufferedImage.TYPE_BYTE_GRAY), "png", blank.toFile());
        CliTest.assertOneCleanError(CliTest.run("predict", "--model", model.toString(), blank.toString()), 1, "no digit found");
        Path huge = dir.resolve("huge.png");
        Files.write(huge, hugePngHeader(50_000, 50_000));
        CliTest.assertOneCleanError(CliTest.run("predict", "--model", model.toString(), huge.toString()), 1, "50000 x 50000 pixels");
        Path cut = dir.resolve("cut.png");
        byte[] ok = Files.readAllBytes(blank);
        Files.write(cut, java.util.Arrays.copyOf(ok, ok.length / 2));
        CliTest.assertOneCleanError(CliTest.run("predict", "--model", model.toString(), cut.toString()), 1, "cut.png");
        Path pgm = Files.writeString(dir.resolve("x.pgm"), "P5 28 28 255\n" + "ab");
        CliTest.assertOneCleanError(CliTest.run("predict", "--model", model.toString(), pgm.toString()), 1, "truncated PGM");
        CliTest.assertOneCleanError(CliTest.run("predict", "--model", model.toString(), dir.resolve("missing.png").toString()), 1, "no such file");
        CliTest.assertOneCleanError(CliTest.run("predict", "--model", model.toString()), 2, "give image files or --index");
    }

    @Test
    void pgmImagesAreRead() throws Exception {
        StringBuilder sb = new StringBuilder("P2\n# a comment\n5 4\n9\n");
        Rng r = new Rng(1);
        for (int i = 0; i < 20; i++) sb.append(r.nextInt(10)).append(' ');
        Path p = Files.writeString(dir.resolve("a.pgm"), sb.toString());
        float[][] g = DigitImages.grayscale(p);
        assertEquals(4, g.length);
        assertEquals(5, g[0].length);
    }

    /** A PNG signature and IHDR chunk claiming the given size, and no image data. */
    static byte[] hugePngHeader(int w, int h) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 25);
        b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        b.putInt(13).put("IHDR".getBytes()).putInt(w).putInt(h).put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b.array(), 12, 17);
        b.putInt((int) crc.getValue());
        return b.array();
    }
}
