package dev.panamacnn.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST format), raw or gzip-compressed (detected by the gzip magic bytes).
 *
 * <p>Layout: two zero bytes, a type byte ({@code 0x08} = unsigned byte, the only type MNIST uses), the number
 * of dimensions, then each dimension as a big-endian 32-bit integer, then the data. Every size is checked
 * against what the file really holds before anything is allocated, so a corrupt header cannot make the reader
 * ask for gigabytes.
 */
public final class IdxReader {
    private IdxReader() {}

    /** Largest payload accepted (the array limit). */
    static final long MAX_BYTES = Integer.MAX_VALUE - 16;
    /** deflate cannot compress better than about 1032:1. */
    static final long MAX_GZIP_RATIO = 1100;

    public static IdxFile read(Path path) throws IOException {
        return read(path, -1);
    }

    /**
     * Reads {@code path} and checks it has {@code expectedRank} dimensions (-1: any).
     *
     * @throws IdxFormatException when the file is not a valid unsigned-byte IDX file
     */
    public static IdxFile read(Path path, int expectedRank) throws IOException {
        long fileSize;
        try {
            fileSize = Files.size(path);
        } catch (NoSuchFileException e) {
            throw new IdxFormatException(path, "no such file");
        }
        if (Files.isDirectory(path)) throw new IdxFormatException(path, "is a directory, expected an IDX file");
        if (fileSize == 0) throw new IdxFormatException(path, "empty file (0 bytes); expected an IDX header (00 00 08 <rank>)");
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            String where = gzip ? " of the decompressed data" : "";
            try {
                InputStream in = gzip ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
                return parse(path, in, gzip, fileSize, expectedRank, where);
            } catch (ZipException | EOFException e) {
                if (!gzip) throw e;
                throw new IdxFormatException(path, "corrupt gzip data: " + e.getMessage());
            }
        }
    }

    private static IdxFile parse(Path path, InputStream in, boolean gzip, long fileSize, int expectedRank, String where)
            throws IOException {
        byte[] head = new byte[4];
        int got = readFully(in, head, 0, 4);
        if (got < 4) throw new IdxFormatException(path, "file ends at byte " + got + where + " inside the 4-byte IDX magic number");
        if (head[0] != 0 || head[1] != 0) {
            throw new IdxFormatException(path, String.format("bad magic number 0x%02X%02X%02X%02X at byte 0%s: an IDX file starts with two zero bytes",
                    head[0] & 0xFF, head[1] & 0xFF, head[2] & 0xFF, head[3] & 0xFF, where));
        }
        if (head[2] != 0x08) {
            throw new IdxFormatException(path, String.format("unsupported data type 0x%02X at byte 2%s: only 0x08 (unsigned byte) is supported", head[2] & 0xFF, where));
        }
        int rank = head[3] & 0xFF;
        if (rank == 0) throw new IdxFormatException(path, "byte 3" + where + " says 0 dimensions; expected at least 1");
        if (expectedRank >= 0 && rank != expectedRank) {
            throw new IdxFormatException(path, String.format("magic number 0x000008%02X: %d dimensions, expected %d (magic 0x000008%02X)",
                    rank, rank, expectedRank, expectedRank));
        }
        byte[] dimBytes = new byte[4 * rank];
        got = readFully(in, dimBytes, 0, dimBytes.length);
        if (got < dimBytes.length) {
            throw new IdxFormatException(path, "file ends at byte " + (4 + got) + where + " inside the header; expected " + rank
                    + " dimension sizes (" + (4 + 4 * rank) + " header bytes)");
        }
        int[] dims = new int[rank];
        long total = 1;
        for (int i = 0; i < rank; i++) {
            long d = ((dimBytes[4 * i] & 0xFFL) << 24) | ((dimBytes[4 * i + 1] & 0xFF) << 16)
                    | ((dimBytes[4 * i + 2] & 0xFF) << 8) | (dimBytes[4 * i + 3] & 0xFF);
            if (d == 0) throw new IdxFormatException(path, "dimension " + i + " (bytes " + (4 + 4 * i) + "-" + (7 + 4 * i) + where + ") is 0");
            if (d > Integer.MAX_VALUE) throw new IdxFormatException(path, "dimension " + i + " is " + d + ", larger than 2^31-1");
            dims[i] = (int) d;
            total *= d;
            if (total > MAX_BYTES) {
                throw new IdxFormatException(path, "dimensions " + dimsString(dims, i + 1) + " need more than " + MAX_BYTES + " bytes");
            }
        }
        long header = 4 + 4L * rank;
        if (!gzip && header + total != fileSize) {
            if (header + total > fileSize) {
                throw new IdxFormatException(path, "truncated: dimensions " + dimsString(dims, rank) + " need " + total
                        + " data bytes after the " + header + "-byte header, but the file has only " + (fileSize - header));
            }
            throw new IdxFormatException(path, (fileSize - header - total) + " unexpected bytes after the data, which ends at byte "
                    + (header + total) + " (dimensions " + dimsString(dims, rank) + ")");
        }
        if (gzip && total > fileSize * MAX_GZIP_RATIO) {
            throw new IdxFormatException(path, "dimensions " + dimsString(dims, rank) + " claim " + total
                    + " bytes, more than a " + fileSize + "-byte gzip file can hold");
        }
        byte[] data = new byte[(int) total];
        got = readFully(in, data, 0, data.length);
        if (got < total) {
            throw new IdxFormatException(path, "truncated: dimensions " + dimsString(dims, rank) + " need " + total
                    + " data bytes after the " + header + "-byte header" + where + ", found " + got);
        }
        if (gzip && in.read() != -1) {
            throw new IdxFormatException(path, "unexpected bytes after the data, which ends at byte " + (header + total) + where);
        }
        return new IdxFile(path, dims, data);
    }

    private static String dimsString(int[] dims, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) { if (i > 0) sb.append(" x "); sb.append(dims[i]); }
        return sb.toString();
    }

    private static int readFully(InputStream in, byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int r = in.read(b, off + done, len - done);
            if (r < 0) break;
            done += r;
        }
        return done;
    }

    /** Writes an unsigned-byte IDX file (used by tests and tools). */
    public static void write(Path path, int[] dims, byte[] data) throws IOException {
        long total = 1;
        for (int d : dims) total *= d;
        if (total != data.length) throw new IllegalArgumentException("data length " + data.length + " != product of dims " + total);
        java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream(data.length + 4 + 4 * dims.length);
        bo.write(0); bo.write(0); bo.write(8); bo.write(dims.length);
        for (int d : dims) { bo.write(d >>> 24); bo.write(d >>> 16); bo.write(d >>> 8); bo.write(d); }
        bo.write(data);
        AtomicFiles.write(path, bo.toByteArray());
    }
}
