package dev.panamacnn.train;

import dev.panamacnn.data.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Keras' {@code CSVLogger(filename, separator=",", append=False)}: one row per epoch, {@code epoch} (from 0) then the
 * logs in sorted key order, as Keras writes them. The file is rewritten atomically after each epoch, so a crash never
 * leaves half a row; with {@code append} the rows of an earlier file are kept.
 */
public final class CSVLogger implements Callback {
    private final Path file;
    private final String separator;
    private final boolean append;
    private final List<String> rows = new ArrayList<>();
    private List<String> keys;
    private String header;

    public CSVLogger(Path file, String separator, boolean append) {
        this.file = file;
        this.separator = separator;
        this.append = append;
    }

    public CSVLogger(Path file) { this(file, ",", false); }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) {
        rows.clear();
        keys = null;
        header = null;
        if (append && Files.exists(file)) {
            try {
                List<String> old = Files.readAllLines(file, StandardCharsets.UTF_8);
                if (!old.isEmpty()) { header = old.get(0); rows.addAll(old.subList(1, old.size())); }
            } catch (IOException e) {
                throw new UncheckedIOException(new IOException("CSVLogger: cannot read " + file + ": " + e.getMessage(), e));
            }
        }
    }

    @Override public void onEpochEnd(int epoch, Map<String, Double> logs) {
        if (keys == null) {
            keys = new ArrayList<>(new TreeSet<>(logs.keySet()));
            String h = "epoch" + separator + String.join(separator, keys);
            if (header != null && !header.equals(h)) {
                throw new IllegalStateException("CSVLogger: " + file + " has columns " + header + ", this run logs " + h);
            }
            header = h;
        }
        StringBuilder sb = new StringBuilder().append(epoch);
        for (String k : keys) {
            Double v = logs.get(k);
            sb.append(separator).append(v == null ? "" : v.toString());
        }
        rows.add(sb.toString());
        StringBuilder out = new StringBuilder(header).append('\n');
        for (String r : rows) out.append(r).append('\n');
        try {
            AtomicFiles.write(file, out.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("CSVLogger: cannot write " + file + ": " + e.getMessage(), e));
        }
    }
}
