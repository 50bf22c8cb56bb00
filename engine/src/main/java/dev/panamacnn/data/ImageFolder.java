package dev.panamacnn.data;

import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * A labelled image data set from a folder with one subfolder per class, like Keras'
 * {@code image_dataset_from_directory(directory, labels="inferred", color_mode="rgb", image_size=(256, 256),
 * seed=..., validation_split=..., subset=..., interpolation="bilinear")}: class names are the subfolder names in
 * sorted order, the files ({@code .png .jpg .jpeg .bmp .gif}, any case) are shuffled with the seed, and with a
 * validation split the last {@code floor(split * n)} shuffled files are the validation set, as Keras splits.
 * Images are resized to {@code (height, width)} with bilinear interpolation (half-pixel centres, TensorFlow's
 * {@code resize} rule, aspect ratio not kept), converted to grayscale ({@code 0.2989 R + 0.5870 G + 0.1140 B}, TensorFlow's
 * {@code rgb_to_grayscale}), RGB or RGBA, and kept as float32 NHWC with Keras' values 0 to 255 (add {@code Rescaling(1/255)}
 * or scale with {@link #scaled}). Targets are one-hot ({@link Dataset#sparse()} gives integer labels).
 */
public final class ImageFolder {
    /** Keras' {@code color_mode}. */
    public enum ColorMode {
        GRAYSCALE(1), RGB(3), RGBA(4);
        public final int channels;
        ColorMode(int c) { channels = c; }
        public static ColorMode of(String s) {
            for (ColorMode m : values()) if (m.name().toLowerCase(Locale.ROOT).equals(s)) return m;
            throw new IllegalArgumentException("color mode must be grayscale, rgb or rgba, got '" + s + "'");
        }
    }

    /** The training and (possibly null) validation sets, and the class names by label. */
    public record Split(Dataset train, Dataset validation, List<String> classNames) {}

    private ImageFolder() {}

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(p) && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp") || n.endsWith(".gif"));
    }

    /**
     * Reads {@code dir}.
     *
     * @throws IOException naming the folder or the image file when something is wrong (no class folders, no images,
     *     an image that does not decode)
     */
    public static Split load(Path dir, int height, int width, ColorMode mode, double validationSplit, long seed) throws IOException {
        if (height < 1 || width < 1) throw new IllegalArgumentException("image size must be positive, got " + height + " x " + width);
        if (!(validationSplit >= 0 && validationSplit < 1)) throw new IllegalArgumentException("validation split must be in [0, 1), got " + validationSplit);
        if (!Files.isDirectory(dir)) throw new IOException(dir + ": no such folder (expected one subfolder of images per class)");
        List<Path> classes;
        try (Stream<Path> s = Files.list(dir)) {
            classes = s.filter(Files::isDirectory).sorted().toList();
        }
        if (classes.size() < 2) throw new IOException(dir + ": found " + classes.size() + " class folder(s); expected one subfolder per class, at least two");
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            List<Path> imgs;
            try (Stream<Path> s = Files.list(classes.get(c))) {
                imgs = s.filter(ImageFolder::isImage).sorted().toList();
            }
            for (Path p : imgs) { files.add(p); labels.add(c); }
        }
        if (files.isEmpty()) throw new IOException(dir + ": no images (.png, .jpg, .jpeg, .bmp, .gif) in its class folders");
        int n = files.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        new Rng(seed).shuffle(order);
        int nVal = (int) Math.floor(validationSplit * n);
        if (validationSplit > 0 && (nVal < 1 || nVal >= n)) throw new IOException(dir + ": a validation split of " + validationSplit + " of " + n + " images leaves no training or no validation images");
        List<String> names = classes.stream().map(p -> p.getFileName().toString()).toList();
        Dataset train = read(files, labels, order, 0, n - nVal, height, width, mode, names.size());
        Dataset val = nVal == 0 ? null : read(files, labels, order, n - nVal, nVal, height, width, mode, names.size());
        return new Split(train, val, names);
    }

    private static Dataset read(List<Path> files, List<Integer> labels, int[] order, int from, int count, int h, int w, ColorMode mode, int classes)
            throws IOException {
        int c = mode.channels;
        Tensor x = Tensor.allocate(Arena.ofAuto(), Shape.of(count, h, w, c));
        Tensor y = Tensor.allocate(Arena.ofAuto(), Shape.of(count, classes));
        float[] px = new float[h * w * c];
        for (int i = 0; i < count; i++) {
            int k = order[from + i];
            pixels(DigitImages.decode(files.get(k)), h, w, mode, px);
            java.lang.foreign.MemorySegment.copy(px, 0, x.segment(), java.lang.foreign.ValueLayout.JAVA_FLOAT, (long) i * px.length * 4, px.length);
            y.set((long) i * classes + labels.get(k), 1f);
        }
        return new Dataset(x, y);
    }

    /** Resizes {@code img} to {@code h x w} (bilinear, half-pixel centres) into {@code out} (NHWC, 0 to 255). */
    static void pixels(BufferedImage img, int h, int w, ColorMode mode, float[] out) {
        int sh = img.getHeight(), sw = img.getWidth(), c = mode.channels;
        int[] argb = img.getRGB(0, 0, sw, sh, null, 0, sw);
        float[] ch = new float[4];
        for (int y = 0; y < h; y++) {
            double fy = Math.max(0, (y + 0.5) * sh / h - 0.5);
            int y0 = Math.min((int) fy, sh - 1), y1 = Math.min(y0 + 1, sh - 1);
            double ay = fy - y0;
            for (int x = 0; x < w; x++) {
                double fx = Math.max(0, (x + 0.5) * sw / w - 0.5);
                int x0 = Math.min((int) fx, sw - 1), x1 = Math.min(x0 + 1, sw - 1);
                double ax = fx - x0;
                for (int k = 0; k < 4; k++) {
                    int shift = k == 3 ? 24 : 16 - 8 * k;   // R, G, B, A
                    double v00 = (argb[y0 * sw + x0] >>> shift) & 0xFF, v01 = (argb[y0 * sw + x1] >>> shift) & 0xFF;
                    double v10 = (argb[y1 * sw + x0] >>> shift) & 0xFF, v11 = (argb[y1 * sw + x1] >>> shift) & 0xFF;
                    ch[k] = (float) ((v00 * (1 - ax) + v01 * ax) * (1 - ay) + (v10 * (1 - ax) + v11 * ax) * ay);
                }
                int o = (y * w + x) * c;
                if (mode == ColorMode.GRAYSCALE) {
                    out[o] = 0.2989f * ch[0] + 0.5870f * ch[1] + 0.1140f * ch[2];
                } else {
                    for (int k = 0; k < c; k++) out[o + k] = ch[k];
                }
            }
        }
    }

    /** {@code d} with its inputs multiplied by {@code factor} (a copy), e.g. 1/255 for inputs in [0, 1]. */
    public static Dataset scaled(Dataset d, float factor) {
        Tensor x = Tensor.allocate(Arena.ofAuto(), d.x().shape());
        for (long i = 0; i < x.size(); i++) x.set(i, d.x().get(i) * factor);
        return new Dataset(x, d.y());
    }
}
