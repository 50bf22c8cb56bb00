package dev.panamacnn.data;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

/** A small RGB image folder for the command-line tests: three classes (blue, green, red blobs on grey noise), PNG files. */
public final class ImageFolderTestData {
    private ImageFolderTestData() {}

    public static void write(Path dir, int perClass) throws Exception {
        java.util.Random r = new java.util.Random(1);
        String[] names = {"blue", "green", "red"};
        for (int c = 0; c < 3; c++) {
            Path d = Files.createDirectories(dir.resolve(names[c]));
            for (int i = 0; i < perClass; i++) {
                int size = 16 + r.nextInt(10);
                BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        int n = 60 + r.nextInt(50), cx = size / 2;
                        int rgb = (n << 16) | (n << 8) | n;
                        if ((x - cx) * (x - cx) + (y - cx) * (y - cx) < size * size / 9) rgb = c == 0 ? 0x4040E0 : c == 1 ? 0x40E040 : 0xE04040;
                        img.setRGB(x, y, rgb);
                    }
                }
                ImageIO.write(img, "png", d.resolve("i" + i + ".png").toFile());
            }
        }
    }
}
