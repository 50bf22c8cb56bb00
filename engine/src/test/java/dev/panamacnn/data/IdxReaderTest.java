package dev.panamacnn.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The IDX reader on valid files and on every kind of bad file: each error names the file and the problem. */
class IdxReaderTest {
    @TempDir Path dir;

    static byte[] idx(int type, int[] dims, byte[] data) {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        bo.write(0); bo.write(0); bo.write(type); bo.write(dims.length);
        for (int d : dims) { bo.write(d >>> 24); bo.write(d >>> 16); bo.write(d >>> 8); bo.write(d); }
        bo.writeBytes(data);
        return bo.toByteArray();
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bo)) { g.write(b); }
        return bo.toByteArray();
    }

    Path file(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    IdxFormatException bad(String name, byte[] content, int rank, String... expected) throws IOException {
        Path p = file(name, content);
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.read(p, rank));
        assertTrue(e.getMessage().startsWith(p.toString() + ": "), "message names the file: " + e.getMessage());
        for (String s : expected) assertTrue(e.getMessage().contains(s), "'" + s + "' in: " + e.getMessage());
        return e;
    }

    @Test
    void readsRawAndGzipFiles() throws IOException {
        byte[] data = new byte[2 * 3 * 4];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 10);
        byte[] raw = idx(8, new int[] {2, 3, 4}, data);
        for (Path p : new Path[] {file("a-idx3-ubyte", raw), file("a-idx3-ubyte.gz", gzip(raw))}) {
            IdxFile f = IdxReader.read(p, 3);
            assertArrayEquals(new int[] {2, 3, 4}, f.dims());
            assertArrayEquals(data, f.data());
            assertEquals(12, f.itemSize());
            assertEquals(230, f.unsigned(23));
        }
    }

    @Test
    void writeThenReadRoundTrips() throws IOException {
        byte[] data = {1, 2, (byte) 200};
        Path p = dir.resolve("w");
        IdxReader.write(p, new int[] {3}, data);
        assertArrayEquals(data, IdxReader.read(p, 1).data());
    }

    @Test
    void emptyFile() throws IOException {
        bad("empty", new byte[0], -1, "empty file (0 bytes)");
    }

    @Test
    void wrongMagic() throws IOException {
        byte[] b = idx(8, new int[] {1}, new byte[1]);
        b[0] = 0x12;
        bad("magic", b, -1, "bad magic number 0x12000801", "byte 0");
        bad("png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0}, -1, "bad magic number 0x89504E47");
    }

    @Test
    void unsupportedTypeAndWrongRank() throws IOException {
        bad("float", idx(0x0D, new int[] {1}, new byte[4]), -1, "unsupported data type 0x0D", "byte 2");
        bad("labels-as-images", idx(8, new int[] {4}, new byte[4]), 3, "1 dimensions, expected 3", "0x00000803");
        bad("zero-rank", new byte[] {0, 0, 8, 0}, -1, "0 dimensions");
    }

    @Test
    void truncatedHeaderAndData() throws IOException {
        bad("short-magic", new byte[] {0, 0}, -1, "file ends at byte 2", "magic");
        bad("short-header", new byte[] {0, 0, 8, 3, 0, 0, 0, 5, 0, 0}, 3, "file ends at byte 10 inside the header", "expected 3 dimension sizes");
        byte[] full = idx(8, new int[] {10, 28, 28}, new byte[7840]);
        bad("short-data", Arrays.copyOf(full, full.length - 100), 3, "truncated", "10 x 28 x 28 need 7840 data bytes", "only 7740");
        bad("short-data.gz", gzip(Arrays.copyOf(full, full.length - 100)), 3, "truncated", "found 7740");
    }

    @Test
    void trailingBytes() throws IOException {
        byte[] full = idx(8, new int[] {3}, new byte[3]);
        byte[] longer = Arrays.copyOf(full, full.length + 5);
        bad("long", longer, 1, "5 unexpected bytes after the data", "ends at byte 11");
        bad("long.gz", gzip(longer), 1, "unexpected bytes after the data");
    }

    @Test
    void dimensionsThatOverflowOrExceedTheFile() throws IOException {
        // 65536^3 overflows any int product: rejected from the header alone, without allocating
        bad("overflow", idx(8, new int[] {65536, 65536, 65536}, new byte[0]), 3, "need more than");
        bad("negative", new byte[] {0, 0, 8, 1, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}, 1, "larger than 2^31-1");
        bad("huge", idx(8, new int[] {6000, 280, 280}, new byte[16]), 3, "truncated", "6000 x 280 x 280");
        bad("huge.gz", gzip(idx(8, new int[] {6000, 280, 280}, new byte[16])), 3, "more than a", "gzip file can hold");
        bad("zero-dim", idx(8, new int[] {5, 0, 28}, new byte[0]), 3, "dimension 1", "is 0");
    }

    @Test
    void corruptGzip() throws IOException {
        byte[] g = gzip(idx(8, new int[] {100}, new byte[100]));
        g[12] ^= 0x55;
        g[13] ^= 0x55;
        bad("corrupt.gz", g, 1, "");
        bad("header-only.gz", Arrays.copyOf(g, 10), 1, "");
    }

    @Test
    void missingFileAndDirectory() throws IOException {
        Path p = dir.resolve("nope");
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.read(p));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
        IdxFormatException d = assertThrows(IdxFormatException.class, () -> IdxReader.read(dir));
        assertTrue(d.getMessage().contains("directory"), d.getMessage());
    }

    @Test
    void imageAndLabelCountsMustAgree() throws IOException {
        Path images = file("img", idx(8, new int[] {3, 2, 2}, new byte[12]));
        Path labels = file("lab", idx(8, new int[] {4}, new byte[4]));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Mnist.dataset(images, labels));
        assertTrue(e.getMessage().contains("3 images, but") && e.getMessage().contains("4 labels"), e.getMessage());
    }

    @Test
    void labelsOutOfRange() throws IOException {
        Path images = file("img", idx(8, new int[] {3, 2, 2}, new byte[12]));
        Path labels = file("lab", idx(8, new int[] {3}, new byte[] {1, 12, 3}));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Mnist.dataset(images, labels));
        assertTrue(e.getMessage().contains("label 12 at byte 9 (sample 1)"), e.getMessage());
    }

    @Test
    void datasetIsScaledAndOneHot() throws IOException {
        Path images = file("img", idx(8, new int[] {2, 1, 2}, new byte[] {0, (byte) 255, 51, 102}));
        Path labels = file("lab", idx(8, new int[] {2}, new byte[] {7, 0}));
        Dataset d = Mnist.dataset(images, labels);
        assertArrayEquals(new int[] {2, 1, 2, 1}, d.x().shape().dims());
        assertArrayEquals(new float[] {0f, 1f, 0.2f, 0.4f}, d.x().toArray(), 1e-7f);
        assertEquals(7, d.label(0));
        assertEquals(0, d.label(1));
        assertEquals(1f, d.y().get(7));
        assertEquals(10, d.classes());
    }

    @Test
    void incompleteFolderNamesWhatIsMissing() throws IOException {
        SyntheticDigits.write(dir, 20, 10, 1);
        Files.delete(dir.resolve(Mnist.TEST_LABELS));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Mnist.load(dir, w -> {}));
        assertTrue(e.getMessage().contains("missing t10k-labels-idx1-ubyte"), e.getMessage());
    }

    @Test
    void gzipFolderLoads() throws IOException {
        Path src = dir.resolve("src");
        SyntheticDigits.write(src, 20, 10, 1);
        Path gz = dir.resolve("gz");
        Files.createDirectories(gz);
        for (String f : Mnist.FILES) Files.write(gz.resolve(f + ".gz"), gzip(Files.readAllBytes(src.resolve(f))));
        Mnist m = Mnist.load(gz, w -> {});
        assertEquals(20, m.train().size());
        assertEquals(10, m.test().size());
    }
}
