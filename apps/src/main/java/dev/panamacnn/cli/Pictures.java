package dev.panamacnn.cli;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** PNG pictures: digits (as matplotlib's {@code imshow} draws them), digit grids, confusion matrix, training curves. */
public final class Pictures {
    private Pictures() {}

    /**
     * The tutorial's {@code plt.imshow(x)}: writes one 28x28 image (a tensor of 784 values) as a PNG in
     * matplotlib's colors and returns it drawn with characters, for a terminal or JShell.
     */
    public static String imshow(dev.panamacnn.tensor.Tensor image, Path png) throws IOException {
        if (image.size() != 784) throw new IllegalArgumentException("imshow expects a 28x28 image, got " + image.shape());
        float[] px = image.toArray();
        write(digit(px, 8, true), png);
        return terminal(px);
    }

    /** matplotlib's default colormap (viridis), sampled at 9 points and interpolated. */
    private static final int[] VIRIDIS = {0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c, 0x28ae80, 0x5ec962, 0xaddc30, 0xfde725};

    static int viridis(float v) {
        v = Math.max(0, Math.min(1, v)) * (VIRIDIS.length - 1);
        int i = Math.min((int) v, VIRIDIS.length - 2);
        float t = v - i;
        int a = VIRIDIS[i], b = VIRIDIS[i + 1];
        int r = Math.round(((a >> 16) & 255) * (1 - t) + ((b >> 16) & 255) * t);
        int g = Math.round(((a >> 8) & 255) * (1 - t) + ((b >> 8) & 255) * t);
        int bl = Math.round((a & 255) * (1 - t) + (b & 255) * t);
        return (r << 16) | (g << 8) | bl;
    }

    static int gray(float v) {
        int g = Math.round(255 * Math.max(0, Math.min(1, v)));
        return (g << 16) | (g << 8) | g;
    }

    /** One 28x28 digit scaled up {@code scale} times, in viridis (as the tutorial's plt.imshow) or gray. */
    static BufferedImage digit(float[] px, int scale, boolean viridis) {
        BufferedImage img = new BufferedImage(28 * scale, 28 * scale, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 28 * scale; y++)
            for (int x = 0; x < 28 * scale; x++) {
                float v = px[(y / scale) * 28 + x / scale];
                img.setRGB(x, y, viridis ? viridis(v) : gray(v));
            }
        return img;
    }

    /** A grid of digits, each with a caption underneath (white on black digits, dark text on white). */
    static BufferedImage grid(List<float[]> digits, List<String> captions, List<Color> captionColors, int cols, int scale) {
        int rows = (digits.size() + cols - 1) / cols, cell = 28 * scale, cap = 14 + scale, pad = 6;
        BufferedImage img = new BufferedImage(cols * (cell + pad) + pad, rows * (cell + cap + pad) + pad, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9 + scale));
        for (int i = 0; i < digits.size(); i++) {
            int x = pad + (i % cols) * (cell + pad), y = pad + (i / cols) * (cell + cap + pad);
            g.drawImage(digit(digits.get(i), scale, false), x, y, null);
            g.setColor(captionColors == null ? Color.DARK_GRAY : captionColors.get(i));
            String c = captions.get(i);
            int w = g.getFontMetrics().stringWidth(c);
            g.drawString(c, x + (cell - w) / 2, y + cell + cap - 4);
        }
        g.dispose();
        return img;
    }

    /** Confusion matrix (rows: true digit, columns: predicted) as a heat map. */
    static BufferedImage confusion(int[][] cm) {
        int n = cm.length;
        HeatMapChart chart = new HeatMapChartBuilder().width(640).height(560).title("Confusion matrix (test set)")
                .xAxisTitle("predicted").yAxisTitle("true").build();
        chart.getStyler().setPlotContentSize(1);
        chart.getStyler().setShowValue(true);
        chart.getStyler().setValueFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        chart.getStyler().setRangeColors(new Color[] {new Color(0xf7fbff), new Color(0x6baed6), new Color(0x08306b)});
        // x: predicted 0..n-1; y: true digit, listed n-1..0 so that row 0 is on top, as confusion matrices are read
        List<Integer> xs = new ArrayList<>(), ys = new ArrayList<>();
        for (int i = 0; i < n; i++) { xs.add(i); ys.add(n - 1 - i); }
        List<Number[]> heat = new ArrayList<>();
        for (int t = 0; t < n; t++)
            for (int p = 0; p < n; p++) heat.add(new Number[] {p, n - 1 - t, cm[t][p]});
        chart.addSeries("count", xs, ys, heat);
        return BitmapEncoder.getBufferedImage(chart);
    }

    /** Loss and accuracy per epoch, train and validation, side by side. */
    static BufferedImage curves(Map<String, List<Double>> history) {
        BufferedImage img = new BufferedImage(1200, 450, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        int x = 0;
        for (String metric : new String[] {"loss", "accuracy"}) {
            XYChart chart = new XYChartBuilder().width(600).height(450).title(metric).xAxisTitle("epoch").yAxisTitle(metric).build();
            chart.getStyler().setMarkerSize(6);
            for (String key : new String[] {metric, "val_" + metric}) {
                List<Double> v = history.get(key);
                if (v == null || v.isEmpty()) continue;
                List<Integer> epochs = new ArrayList<>();
                for (int i = 1; i <= v.size(); i++) epochs.add(i);
                chart.addSeries(key.startsWith("val_") ? "validation" : "train", epochs, v).setMarker(SeriesMarkers.CIRCLE);
            }
            Graphics2D sub = (Graphics2D) g.create(x, 0, 600, 450);
            chart.paint(sub, 600, 450);
            sub.dispose();
            x += 600;
        }
        g.dispose();
        return img;
    }

    static void write(BufferedImage img, Path file) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        ImageIO.write(img, "png", bo);
        dev.panamacnn.data.AtomicFiles.write(file, bo.toByteArray());
    }

    /** The digit drawn with shading characters, two per pixel so it keeps its shape in a terminal. */
    static String terminal(float[] px) {
        String shades = " .:-=+*#%@";
        StringBuilder sb = new StringBuilder();
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                char c = shades.charAt(Math.min(shades.length() - 1, (int) (px[y * 28 + x] * shades.length())));
                sb.append(c).append(c);
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
