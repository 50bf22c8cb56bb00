package dev.panamacnn.data;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.nn.BatchNormalization;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.GlobalAveragePooling2D;
import dev.panamacnn.nn.MaxPool2D;
import dev.panamacnn.nn.Padding;
import dev.panamacnn.nn.Rescaling;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.train.FitOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An RGB image folder, made here: three classes told apart only by colour and where the blob is (a red blob top left, a
 * green one centred, a blue one bottom right, each on noise), in PNG and JPEG, of different sizes, so that loading
 * (resizing, channel order, the split) and an RGB network with same padding, BatchNormalization and global pooling are
 * exercised end to end.
 */
class ImageFolderTest {
    static void makeFolder(Path dir, int perClass, long seed) throws Exception {
        Rng r = new Rng(seed);
        String[] names = {"blue", "green", "red"};   // sorted: blue = 0, green = 1, red = 2
        for (int c = 0; c < 3; c++) {
            Path d = Files.createDirectories(dir.resolve(names[c]));
            for (int i = 0; i < perClass; i++) {
                int size = 20 + r.nextInt(20);
                BufferedImage img = new BufferedImage(size, size + r.nextInt(6), BufferedImage.TYPE_INT_RGB);
                int cx = (int) (size * (c == 2 ? 0.3 : c == 1 ? 0.5 : 0.7)), cy = cx;
                for (int y = 0; y < img.getHeight(); y++) {
                    for (int x = 0; x < size; x++) {
                        int n = 60 + r.nextInt(60);
                        int rr = n, g = n, b = n;
                        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < size * size / 16) {
                            if (c == 2) rr = 230; else if (c == 1) g = 230; else b = 230;
                        }
                        img.setRGB(x, y, (rr << 16) | (g << 8) | b);
                    }
                }
                ImageIO.write(img, i % 4 == 0 ? "jpg" : "png", d.resolve("img" + i + (i % 4 == 0 ? ".jpg" : ".png")).toFile());
            }
        }
        Files.writeString(dir.resolve("red/notes.txt"), "not an image: skipped, as Keras skips it");
    }

    @Test
    void loadsSplitsAndTrainsAnRgbNetwork(@TempDir Path tmp) throws Exception {
        makeFolder(tmp, 40, 1);
        ImageFolder.Split s = ImageFolder.load(tmp, 16, 16, ImageFolder.ColorMode.RGB, 0.25, 7);
        assertEquals(java.util.List.of("blue", "green", "red"), s.classNames());
        assertEquals(90, s.train().size());
        assertEquals(30, s.validation().size(), "floor(0.25 * 120) validation images, as Keras splits");
        assertEquals(Shape.of(16, 16, 3), s.train().sampleShape());
        float max = 0;
        for (long i = 0; i < s.train().x().size(); i++) max = Math.max(max, s.train().x().get(i));
        assertTrue(max > 200 && max <= 255, "Keras' 0-255 pixel values, got max " + max);
        try (Sequential m = new Sequential(
                new dev.panamacnn.nn.InputLayer(Shape.of(16, 16, 3)), new Rescaling(1f / 255), new Conv2D(8, 3, 3, Activation.LINEAR).padding(Padding.SAME),
                new BatchNormalization(), new dev.panamacnn.nn.ActivationLayer(Activation.RELU), new MaxPool2D(2, 2).padding(Padding.SAME),
                new Conv2D(16, 3, 3, Activation.RELU).padding(Padding.SAME), new GlobalAveragePooling2D(), new Dense(3, Activation.SOFTMAX))) {
            m.seed(3).threads(2).compile(new Adam(0.01f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.SPARSE_CATEGORICAL_ACCURACY);
            m.fit(s.train().sparse(), FitOptions.builder().batchSize(16).epochs(25).verbose(false).build());
            double acc = m.evaluate(s.validation().sparse()).accuracy();
            assertTrue(acc >= 0.9, "validation accuracy " + acc);
        }
    }

    @Test
    void grayscaleAndResizing(@TempDir Path tmp) throws Exception {
        BufferedImage img = new BufferedImage(4, 2, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < 4; x++) for (int y = 0; y < 2; y++) img.setRGB(x, y, x < 2 ? 0xFF0000 : 0x0000FF);
        float[] out = new float[2 * 1];
        ImageFolder.pixels(img, 1, 2, ImageFolder.ColorMode.GRAYSCALE, out);
        assertEquals(0.2989f * 255, out[0], 1e-3, "left half red");
        assertEquals(0.1140f * 255, out[1], 1e-3, "right half blue");
        float[] rgb = new float[4 * 3];
        ImageFolder.pixels(img, 1, 4, ImageFolder.ColorMode.RGB, rgb);   // same width: pixel centres land on pixels
        assertEquals(255f, rgb[0], 0);
        assertEquals(255f, rgb[11], 0);
    }

    @Test
    void badFoldersAndImagesAreNamed(@TempDir Path tmp) throws Exception {
        var e = assertThrows(java.io.IOException.class, () -> ImageFolder.load(tmp.resolve("none"), 8, 8, ImageFolder.ColorMode.RGB, 0, 1));
        assertTrue(e.getMessage().contains("no such folder"), e.getMessage());
        Files.createDirectories(tmp.resolve("a"));
        e = assertThrows(java.io.IOException.class, () -> ImageFolder.load(tmp, 8, 8, ImageFolder.ColorMode.RGB, 0, 1));
        assertTrue(e.getMessage().contains("1 class folder"), e.getMessage());
        Files.createDirectories(tmp.resolve("b"));
        makeFolder(tmp.resolve("c"), 0, 1);
        e = assertThrows(java.io.IOException.class, () -> ImageFolder.load(tmp, 8, 8, ImageFolder.ColorMode.RGB, 0, 1));
        assertTrue(e.getMessage().contains("no images"), e.getMessage());
        Files.write(tmp.resolve("a/broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        e = assertThrows(java.io.IOException.class, () -> ImageFolder.load(tmp, 8, 8, ImageFolder.ColorMode.RGB, 0, 1));
        assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
    }
}
