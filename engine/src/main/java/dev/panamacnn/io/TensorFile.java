package dev.panamacnn.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.panamacnn.data.AtomicFiles;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * panama-cnn's binary container for weights and checkpoints: named float32/int32 tensors plus a JSON header.
 *
 * <pre>
 * bytes 0-7    magic "PCNNTNSR"
 * bytes 8-11   format version (uint32 little-endian), currently 1
 * bytes 12-15  header length H (uint32 LE)
 * bytes 16..   header: UTF-8 JSON {"tensors": [{"name", "dtype": "float32"|"int32", "shape": [...],
 *              "offset": byte offset from the data start, "length": bytes}, ...], "meta": {...}}
 * then         data, little-endian, starting at the next multiple of 64
 * last 4 bytes CRC-32C of every byte before them
 * </pre>
 * Reading validates magic, version, header, every tensor's bounds and size, and the checksum, before any
 * tensor is handed out. Writing goes to a temporary file that is fsynced and then renamed over the target.
 */
public final class TensorFile {
    public static final byte[] MAGIC = "PCNNTNSR".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor: float32 data in {@code floats} or int32 data in {@code ints}. */
    public record Entry(String name, int[] shape, float[] floats, int[] ints) {
        public long count() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    private final Map<String, Entry> tensors = new LinkedHashMap<>();
    private ObjectNode meta = JSON.createObjectNode();

    public TensorFile() {}

    public ObjectNode meta() { return meta; }
    public void setMeta(ObjectNode meta) { this.meta = meta; }
    public Map<String, Entry> tensors() { return tensors; }

    public TensorFile putFloats(String name, int[] shape, float[] data) {
        check(name, shape, data.length);
        tensors.put(name, new Entry(name, shape.clone(), data, null));
        return this;
    }

    public TensorFile putFloats(String name, int[] shape, MemorySegment seg, long floatOffset) {
        long n = 1;
        for (int d : shape) n *= d;
        float[] a = new float[(int) n];
        MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, floatOffset * 4, a, 0, a.length);
        return putFloats(name, shape, a);
    }

    public TensorFile putInts(String name, int[] data) {
        tensors.put(name, new Entry(name, new int[] {data.length}, null, data));
        return this;
    }

    private static void check(String name, int[] shape, int len) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n != len) throw new IllegalArgumentException(name + ": " + len + " values for shape " + java.util.Arrays.toString(shape));
    }

    public Entry get(Path file, String name) throws ModelFormatException {
        Entry e = tensors.get(name);
        if (e == null) throw new ModelFormatException(file, "missing tensor '" + name + "'");
        return e;
    }

    // ------------------------------------------------------------------ writing

    public byte[] toBytes() {
        ObjectNode header = JSON.createObjectNode();
        ArrayNode list = header.putArray("tensors");
        long offset = 0;
        for (Entry e : tensors.values()) {
            ObjectNode t = list.addObject();
            t.put("name", e.name());
            t.put("dtype", e.floats() != null ? "float32" : "int32");
            ArrayNode sh = t.putArray("shape");
            for (int d : e.shape()) sh.add(d);
            t.put("offset", offset);
            t.put("length", e.count() * 4);
            offset += align(e.count() * 4);
        }
        header.set("meta", meta);
        byte[] h;
        try {
            h = JSON.writeValueAsBytes(header);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
        long dataStart = align(16 + h.length);
        long total = dataStart + offset + 4;
        if (total > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor file too large: " + total + " bytes");
        ByteBuffer b = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(VERSION).putInt(h.length).put(h);
        b.position((int) dataStart);
        for (Entry e : tensors.values()) {
            int start = b.position();
            if (e.floats() != null) for (float f : e.floats()) b.putFloat(f);
            else for (int i : e.ints()) b.putInt(i);
            b.position(start + (int) align(e.count() * 4));
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, (int) total - 4);
        b.putInt((int) total - 4, (int) crc.getValue());
        return b.array();
    }

    /** Writes atomically: temporary file, fsync, rename. */
    public void write(Path file) throws IOException {
        AtomicFiles.write(file, toBytes());
    }

    static long align(long n) { return (n + 63) & ~63L; }

    // ------------------------------------------------------------------ reading

    public static TensorFile read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file, "no such file");
        }
        return parse(file, bytes);
    }

    public static TensorFile parse(Path file, byte[] bytes) throws ModelFormatException {
        if (bytes.length < 20) {
            throw new ModelFormatException(file, "file too short (" + bytes.length + " bytes) for a panama-cnn tensor file (at least 20)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) throw new ModelFormatException(file, "bad magic at byte " + i + ": not a panama-cnn tensor file (expected \"PCNNTNSR\")");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int version = b.getInt(8);
        if (version != VERSION) {
            throw new ModelFormatException(file, "format version " + Integer.toUnsignedString(version) + " at byte 8; this build reads version " + VERSION);
        }
        long hlen = Integer.toUnsignedLong(b.getInt(12));
        if (16 + hlen + 4 > bytes.length) {
            throw new ModelFormatException(file, "header length " + hlen + " at byte 12 runs past the end of the " + bytes.length + "-byte file");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        int stored = b.getInt(bytes.length - 4);
        if ((int) crc.getValue() != stored) {
            throw new ModelFormatException(file, String.format("checksum mismatch (stored %08x, computed %08x): the file is corrupted or truncated",
                    stored, (int) crc.getValue()));
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, 16, (int) hlen, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (header == null || !header.isObject() || !header.path("tensors").isArray()) {
            throw new ModelFormatException(file, "header has no \"tensors\" list");
        }
        long dataStart = align(16 + hlen), dataLen = bytes.length - 4 - dataStart;
        TensorFile tf = new TensorFile();
        if (header.path("meta").isObject()) tf.meta = (ObjectNode) header.get("meta");
        for (JsonNode t : header.get("tensors")) {
            String name = t.path("name").asText(null);
            if (name == null || name.isEmpty()) throw new ModelFormatException(file, "a tensor entry has no name");
            String dtype = t.path("dtype").asText("");
            if (!dtype.equals("float32") && !dtype.equals("int32")) {
                throw new ModelFormatException(file, "tensor '" + name + "' has dtype '" + dtype + "'; expected float32 or int32");
            }
            if (!t.path("shape").isArray()) throw new ModelFormatException(file, "tensor '" + name + "' has no shape");
            List<Integer> dims = new ArrayList<>();
            long count = 1;
            for (JsonNode d : t.get("shape")) {
                if (!d.canConvertToInt() || d.asInt() < 1) throw new ModelFormatException(file, "tensor '" + name + "' has a bad dimension " + d);
                dims.add(d.asInt());
                count *= d.asInt();
                if (count > Integer.MAX_VALUE / 4) throw new ModelFormatException(file, "tensor '" + name + "' is too large");
            }
            long off = t.path("offset").asLong(-1), len = t.path("length").asLong(-1);
            if (off < 0 || len != count * 4 || off + len > dataLen) {
                throw new ModelFormatException(file, "tensor '" + name + "' (offset " + off + ", length " + len + ", shape " + dims
                        + ") does not fit the " + dataLen + " data bytes or its shape");
            }
            int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
            int n = (int) count, pos = (int) (dataStart + off);
            if (dtype.equals("float32")) {
                float[] a = new float[n];
                b.slice(pos, 4 * n).order(b.order()).asFloatBuffer().get(a);   // one bulk copy, not a getFloat per element
                tf.tensors.put(name, new Entry(name, shape, a, null));
            } else {
                int[] a = new int[n];
                b.slice(pos, 4 * n).order(b.order()).asIntBuffer().get(a);
                tf.tensors.put(name, new Entry(name, shape, null, a));
            }
        }
        return tf;
    }
}
