package dev.panamacnn.data;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * Turns a picture of a handwritten digit (PNG, JPEG, BMP, GIF or PGM; any size; grayscale or color;
 * dark-on-light or light-on-dark) into a 28x28 MNIST-style input, the way the MNIST digits were made:
 * grayscale, inverted if the background is light, cropped to the ink, scaled to fit 20x20 keeping the aspect
 * ratio, and placed in 28x28 so that its center of mass is at the center.
 */
public final class DigitImages {
    private DigitImages() {}

    /** Images with more pixels than this (33.5 million, e.g. 8192 x 4096) are refused from their header, before decoding. */
    public static final long MAX_PIXELS = 1L << 25;

    /** A bad or unreadable image; the message names the file and the problem. */
    public static final class ImageFormatException extends IOException {
        public ImageFormatException(Path file, String problem) { super(file + ": " + problem); }
        /** For an image that is not a file (a request body): {@code name} says where it came from. */
        public ImageFormatException(String name, String problem) { super(name + ": " + problem); }
    }

    /** Loads {@code file} and returns 784 floats in [0, 1], row-major, white digit on black. */
    public static float[] load(Path file) throws IOException {
        return mnistStyle(file.toString(), grayscale(file));
    }

    /** Luminance in [0, 1] (0 = black) as {@code [height][width]}; transparent pixels count as white. */
    public static float[][] grayscale(Path file) throws IOException {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new ImageFormatException(file, "no such file");
        }
        if (Files.isDirectory(file)) throw new ImageFormatException(file, "is a directory, expected an image");
        if (size == 0) throw new ImageFormatException(file, "empty file (0 bytes); expected a PNG, JPEG, BMP, GIF or PGM image");
        if (size > MAX_FILE_BYTES) throw new ImageFormatException(file, "file is " + size + " bytes; at most " + MAX_FILE_BYTES + " are accepted");
        return grayscale(file.toString(), Files.readAllBytes(file));
    }

    /** Files (and request bodies) larger than this are refused before they are read: 64 MiB. */
    public static final long MAX_FILE_BYTES = 64L << 20;

    /** {@link #load(Path)} of an image held in memory (a request body); {@code name} is named in every error. */
    public static float[] load(String name, byte[] data) throws ImageFormatException {
        return mnistStyle(name, grayscale(name, data));
    }

    /** {@link #grayscale(Path)} of an image held in memory. */
    public static float[][] grayscale(String name, byte[] data) throws ImageFormatException {
        if (data.length == 0) throw new ImageFormatException(name, "empty (0 bytes); expected a PNG, JPEG, BMP, GIF or PGM image");
        if (data.length >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '2')) return readPgm(name, data);
        BufferedImage img = decode(name, data);
        int w = img.getWidth(), h = img.getHeight();
        float[][] g = new float[h][w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int argb = img.getRGB(x, y);
                float a = ((argb >>> 24) & 0xFF) / 255f;
                float lum = (0.299f * ((argb >> 16) & 0xFF) + 0.587f * ((argb >> 8) & 0xFF) + 0.114f * (argb & 0xFF)) / 255f;
                g[y][x] = a * lum + (1 - a);
            }
        }
        return g;
    }

    /**
     * Decodes a PNG, JPEG, BMP or GIF file with the JDK's ImageIO, its size checked before any pixel is read
     * (at most {@link #MAX_PIXELS}); every failure names the file.
     */
    public static BufferedImage decode(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new ImageFormatException(file, Files.isDirectory(file) ? "is a directory, expected an image" : "no such file");
        long size = Files.size(file);
        if (size == 0) throw new ImageFormatException(file, "empty file (0 bytes); expected a PNG, JPEG, BMP or GIF image");
        if (size > MAX_FILE_BYTES) throw new ImageFormatException(file, "file is " + size + " bytes; at most " + MAX_FILE_BYTES + " are accepted");
        return decode(file.toString(), Files.readAllBytes(file));
    }

    /** {@link #decode(Path)} of an image held in memory. */
    public static BufferedImage decode(String file, byte[] data) throws ImageFormatException {
        BufferedImage img;
        try (ImageInputStream iis = ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(data))) {
            Iterator<ImageReader> readers = iis == null ? null : ImageIO.getImageReaders(iis);
            if (readers == null || !readers.hasNext()) {
                throw new ImageFormatException(file, "not an image this program can read (expected PNG, JPEG, BMP, GIF or PGM)");
            }
            ImageReader r = readers.next();
            try {
                r.setInput(iis, true, true);
                int w = r.getWidth(0), h = r.getHeight(0);
                if (w <= 0 || h <= 0) throw new ImageFormatException(file, "image has zero size (" + w + " x " + h + ")");
                if ((long) w * h > MAX_PIXELS) {
                    throw new ImageFormatException(file, "image is " + w + " x " + h + " pixels; at most " + MAX_PIXELS + " pixels are accepted");
                }
                img = r.read(0);
            } catch (ImageFormatException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new ImageFormatException(file, "cannot decode the " + r.getFormatName() + " image: " + e.getMessage());
            } finally {
                r.dispose();
            }
        } catch (ImageFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageFormatException(file, "cannot read the image: " + e.getMessage());
        }
        return img;
    }

    /** Binary (P5) or ASCII (P2) PGM, 8 or 16 bits. */
    static float[][] readPgm(String file, byte[] b) throws ImageFormatException {
        int[] pos = {2};
        long w = pgmInt(file, b, pos), h = pgmInt(file, b, pos), max = pgmInt(file, b, pos);
        if (w <= 0 || h <= 0) throw new ImageFormatException(file, "PGM image has zero size (" + w + " x " + h + ")");
        if (w * h > MAX_PIXELS) throw new ImageFormatException(file, "PGM image is " + w + " x " + h + " pixels; at most " + MAX_PIXELS + " are accepted");
        if (max <= 0 || max > 65535) throw new ImageFormatException(file, "PGM maximum value " + max + " is not in 1..65535");
        boolean binary = b[1] == '5';
        int bytesPer = max > 255 ? 2 : 1;
        float[][] g = new float[(int) h][(int) w];
        if (binary) {
            int start = pos[0] + 1;
            long need = w * h * bytesPer;
            if (start + need > b.length) {
                throw new ImageFormatException(file, "truncated PGM: " + w + " x " + h + " needs " + need + " pixel bytes after byte " + start
                        + ", the file has " + Math.max(0, b.length - start));
            }
            for (int i = 0; i < w * h; i++) {
                int v = bytesPer == 1 ? b[start + i] & 0xFF : ((b[start + 2 * i] & 0xFF) << 8) | (b[start + 2 * i + 1] & 0xFF);
                g[(int) (i / w)][(int) (i % w)] = Math.min(1f, (float) v / max);
            }
        } else {
            for (int i = 0; i < w * h; i++) g[(int) (i / w)][(int) (i % w)] = Math.min(1f, (float) pgmInt(file, b, pos) / max);
        }
        return g;
    }

    private static long pgmInt(String file, byte[] b, int[] pos) throws ImageFormatException {
        int i = pos[0];
        while (i < b.length) {
            if (b[i] == '#') { while (i < b.length && b[i] != '\n') i++; }
            else if (Character.isWhitespace(b[i])) i++;
            else break;
        }
        int s = i;
        while (i < b.length && b[i] >= '0' && b[i] <= '9') i++;
        if (i == s || i - s > 9) throw new ImageFormatException(file, "bad PGM header at byte " + s + ": expected a number");
        pos[0] = i;
        return Long.parseLong(new String(b, s, i - s, StandardCharsets.US_ASCII));
    }

    /** MNIST-style 28x28 from a grayscale picture (0 = black). */
    public static float[] mnistStyle(Path file, float[][] g) throws ImageFormatException { return mnistStyle(file.toString(), g); }

    /** {@link #mnistStyle(Path, float[][])} for an image named {@code file} (a file or a request). */
    public static float[] mnistStyle(String file, float[][] g) throws ImageFormatException {
        int h = g.length, w = g[0].length;
        // background = the border's mean; MNIST digits are light ink on a dark background
        double border = 0;
        int nb = 0;
        for (int x = 0; x < w; x++) { border += g[0][x] + g[h - 1][x]; nb += 2; }
        for (int y = 0; y < h; y++) { border += g[y][0] + g[y][w - 1]; nb += 2; }
        boolean invert = border / nb > 0.5;
        float bg = (float) (invert ? 1 - border / nb : border / nb);
        float[][] ink = new float[h][w];
        float max = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float v = invert ? 1 - g[y][x] : g[y][x];
                v = Math.max(0, v - bg) / Math.max(1e-6f, 1 - bg);   // background to 0
                ink[y][x] = v;
                max = Math.max(max, v);
            }
        if (max < 0.1f) throw new ImageFormatException(file, "no digit found: the image is blank (no ink on its background)");
        int x0 = w, x1 = -1, y0 = h, y1 = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                ink[y][x] /= max;
                if (ink[y][x] > 0.2f) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
            }
        int cw = x1 - x0 + 1, ch = y1 - y0 + 1;
        double scale = 20.0 / Math.max(cw, ch);
        int tw = Math.max(1, (int) Math.round(cw * scale)), th = Math.max(1, (int) Math.round(ch * scale));
        BufferedImage crop = new BufferedImage(cw, ch, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++) {
                int v = Math.round(255 * Math.min(1f, ink[y0 + y][x0 + x]));
                crop.getRaster().setSample(x, y, 0, v);
            }
        BufferedImage small = new BufferedImage(tw, th, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D gr = small.createGraphics();
        gr.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        gr.drawImage(crop.getScaledInstance(tw, th, java.awt.Image.SCALE_AREA_AVERAGING), 0, 0, null);
        gr.dispose();
        double mx = 0, my = 0, mass = 0;
        for (int y = 0; y < th; y++)
            for (int x = 0; x < tw; x++) {
                double v = small.getRaster().getSample(x, y, 0);
                mx += v * (x + 0.5); my += v * (y + 0.5); mass += v;
            }
        int ox = (int) Math.round(14 - mx / mass), oy = (int) Math.round(14 - my / mass);
        float[] out = new float[784];
        for (int y = 0; y < th; y++)
            for (int x = 0; x < tw; x++) {
                int X = x + ox, Y = y + oy;
                if (X >= 0 && X < 28 && Y >= 0 && Y < 28) out[Y * 28 + X] = small.getRaster().getSample(x, y, 0) / 255f;
            }
        return out;
    }
}
