package dev.panamacnn.data;

import java.nio.file.Path;
import java.util.Arrays;

/** The content of an unsigned-byte IDX file: its dimensions and its data, row-major. */
public record IdxFile(Path path, int[] dims, byte[] data) {
    public int count() { return dims[0]; }

    /** Elements per item (product of the dimensions after the first). */
    public int itemSize() {
        int s = 1;
        for (int i = 1; i < dims.length; i++) s *= dims[i];
        return s;
    }

    public int unsigned(long i) { return data[(int) i] & 0xFF; }

    @Override public String toString() { return path + " " + Arrays.toString(dims); }
}
