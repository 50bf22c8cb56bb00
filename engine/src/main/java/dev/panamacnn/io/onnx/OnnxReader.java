package dev.panamacnn.io.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the parts of an ONNX file that import needs, straight from the protobuf wire format with protobuf-java's
 * {@code CodedInputStream} (field numbers of {@code onnx.proto}; unknown fields are skipped). The reader works on the
 * file's bytes, so a length that runs past the end is an error before anything is allocated for it; tensor sizes are
 * checked against their dims before their floats are decoded.
 */
final class OnnxReader {
    private OnnxReader() {}

    /** Most floats in one tensor (256 Mi, 1 GiB). */
    static final long MAX_TENSOR = 1L << 28;

    record Attribute(String name, float f, long i, long[] ints, boolean hasF, boolean hasI) {}

    record Node(String op, String name, List<String> inputs, List<String> outputs, List<Attribute> attributes, String domain) {
        Attribute attr(String n) {
            for (Attribute a : attributes) if (a.name().equals(n)) return a;
            return null;
        }
    }

    /** A tensor: its dims and data; floats decoded only when asked ({@link #floats}, {@link #longs}). */
    record Tensor(String name, long[] dims, int dataType, byte[] raw, float[] floatData, long[] int64Data, boolean external) {
        long size() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }
    }

    record ValueInfo(String name, long[] dims) {}

    record Graph(String name, List<Node> nodes, List<Tensor> initializers, List<ValueInfo> inputs, List<ValueInfo> outputs) {}

    record Model(long irVersion, long opset, String producer, Graph graph) {}

    static Model model(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        in.setRecursionLimit(64);
        long ir = 0, opset = -1;
        String producer = "";
        Graph g = null;
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> ir = in.readInt64();
                case 2 -> producer = in.readString();
                case 7 -> g = graph(sub(in));
                case 8 -> {
                    CodedInputStream o = sub(in);
                    String domain = "";
                    long v = -1;
                    for (int t; (t = o.readTag()) != 0; ) {
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> domain = o.readString();
                            case 2 -> v = o.readInt64();
                            default -> o.skipField(t);
                        }
                    }
                    if (domain.isEmpty() || domain.equals("ai.onnx")) opset = v;
                }
                default -> in.skipField(tag);
            }
        }
        if (g == null) throw new InvalidProtocolBufferException("no graph (ModelProto.graph) in the file");
        return new Model(ir, opset, producer, g);
    }

    private static CodedInputStream sub(CodedInputStream in) throws IOException {
        byte[] b = in.readByteArray();   // bounded by the bytes left: a huge declared length fails here, unallocated
        CodedInputStream s = CodedInputStream.newInstance(b);
        s.setRecursionLimit(64);
        return s;
    }

    private static Graph graph(CodedInputStream in) throws IOException {
        String name = "";
        List<Node> nodes = new ArrayList<>();
        List<Tensor> inits = new ArrayList<>();
        List<ValueInfo> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> nodes.add(node(sub(in)));
                case 2 -> name = in.readString();
                case 5 -> inits.add(tensor(sub(in)));
                case 11 -> inputs.add(valueInfo(sub(in)));
                case 12 -> outputs.add(valueInfo(sub(in)));
                default -> in.skipField(tag);
            }
        }
        return new Graph(name, nodes, inits, inputs, outputs);
    }

    private static Node node(CodedInputStream in) throws IOException {
        List<String> ins = new ArrayList<>(), outs = new ArrayList<>();
        List<Attribute> attrs = new ArrayList<>();
        String op = "", name = "", domain = "";
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> ins.add(in.readString());
                case 2 -> outs.add(in.readString());
                case 3 -> name = in.readString();
                case 4 -> op = in.readString();
                case 5 -> attrs.add(attribute(sub(in)));
                case 7 -> domain = in.readString();
                default -> in.skipField(tag);
            }
        }
        return new Node(op, name, ins, outs, attrs, domain);
    }

    private static Attribute attribute(CodedInputStream in) throws IOException {
        String name = "";
        float f = 0;
        long i = 0;
        boolean hasF = false, hasI = false;
        List<Long> ints = new ArrayList<>();
        for (int tag; (tag = in.readTag()) != 0; ) {
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case 1 -> name = in.readString();
                case 2 -> { f = in.readFloat(); hasF = true; }
                case 3 -> { i = in.readInt64(); hasI = true; }
                case 8 -> {
                    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        CodedInputStream p = sub(in);
                        while (!p.isAtEnd()) ints.add(p.readInt64());
                    } else {
                        ints.add(in.readInt64());
                    }
                    if (ints.size() > 64) throw new InvalidProtocolBufferException("attribute " + name + " has more than 64 ints");
                }
                default -> in.skipField(tag);
            }
        }
        long[] a = new long[ints.size()];
        for (int k = 0; k < a.length; k++) a[k] = ints.get(k);
        return new Attribute(name, f, i, a, hasF, hasI);
    }

    private static Tensor tensor(CodedInputStream in) throws IOException {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = "";
        byte[] raw = null;
        List<Float> fl = new ArrayList<>();
        List<Long> il = new ArrayList<>();
        boolean external = false;
        for (int tag; (tag = in.readTag()) != 0; ) {
            int field = WireFormat.getTagFieldNumber(tag);
            boolean packed = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
            switch (field) {
                case 1 -> {
                    if (packed) { CodedInputStream p = sub(in); while (!p.isAtEnd()) dims.add(p.readInt64()); } else dims.add(in.readInt64());
                    if (dims.size() > 8) throw new InvalidProtocolBufferException("tensor " + name + " has more than 8 dimensions");
                }
                case 2 -> type = in.readInt32();
                case 4 -> {
                    if (packed) { CodedInputStream p = sub(in); while (!p.isAtEnd()) fl.add(p.readFloat()); } else fl.add(in.readFloat());
                }
                case 7 -> {
                    if (packed) { CodedInputStream p = sub(in); while (!p.isAtEnd()) il.add(p.readInt64()); } else il.add(in.readInt64());
                }
                case 8 -> name = in.readString();
                case 9 -> raw = in.readByteArray();
                case 13 -> { external = true; in.skipField(tag); }
                case 14 -> { if (in.readInt32() == 1) external = true; }
                default -> in.skipField(tag);
            }
        }
        long[] d = new long[dims.size()];
        for (int k = 0; k < d.length; k++) {
            d[k] = dims.get(k);
            if (d[k] < 0) throw new InvalidProtocolBufferException("tensor " + name + " has a negative dimension " + d[k]);
        }
        float[] f = new float[fl.size()];
        for (int k = 0; k < f.length; k++) f[k] = fl.get(k);
        long[] l = new long[il.size()];
        for (int k = 0; k < l.length; k++) l[k] = il.get(k);
        return new Tensor(name, d, type, raw, f, l, external);
    }

    private static ValueInfo valueInfo(CodedInputStream in) throws IOException {
        String name = "";
        List<Long> dims = new ArrayList<>();
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> name = in.readString();
                case 2 -> {   // TypeProto.tensor_type (1) -> shape (2) -> dim (1) -> dim_value (1) | dim_param (2)
                    CodedInputStream t = sub(in);
                    for (int a; (a = t.readTag()) != 0; ) {
                        if (WireFormat.getTagFieldNumber(a) != 1) { t.skipField(a); continue; }
                        CodedInputStream tt = sub(t);
                        for (int b; (b = tt.readTag()) != 0; ) {
                            if (WireFormat.getTagFieldNumber(b) != 2) { tt.skipField(b); continue; }
                            CodedInputStream sh = sub(tt);
                            for (int c; (c = sh.readTag()) != 0; ) {
                                if (WireFormat.getTagFieldNumber(c) != 1) { sh.skipField(c); continue; }
                                CodedInputStream dim = sub(sh);
                                long v = -1;
                                for (int e; (e = dim.readTag()) != 0; ) {
                                    if (WireFormat.getTagFieldNumber(e) == 1) v = dim.readInt64(); else dim.skipField(e);
                                }
                                dims.add(v);
                                if (dims.size() > 8) throw new InvalidProtocolBufferException("value " + name + " has more than 8 dimensions");
                            }
                        }
                    }
                }
                default -> in.skipField(tag);
            }
        }
        long[] d = new long[dims.size()];
        for (int k = 0; k < d.length; k++) d[k] = dims.get(k);
        return new ValueInfo(name, d);
    }

    /** A float tensor's values, checked: type FLOAT, not external, the element count equal to its dims' product. */
    static float[] floats(Tensor t, String where) throws InvalidProtocolBufferException {
        if (t.external()) throw new InvalidProtocolBufferException(where + ": tensor " + t.name() + " keeps its data in an external file (not supported)");
        if (t.dataType() != 1) throw new InvalidProtocolBufferException(where + ": tensor " + t.name() + " has data type " + t.dataType() + ", expected FLOAT (1)");
        long n = t.size();
        if (n > MAX_TENSOR) throw new InvalidProtocolBufferException(where + ": tensor " + t.name() + " declares " + n + " floats, more than " + MAX_TENSOR);
        if (t.raw() != null) {
            if (t.raw().length != n * 4) throw new InvalidProtocolBufferException(where + ": tensor " + t.name() + " has " + t.raw().length + " bytes of data for " + n + " floats");
            float[] f = new float[(int) n];
            ByteBuffer.wrap(t.raw()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
            return f;
        }
        if (t.floatData().length != n) throw new InvalidProtocolBufferException(where + ": tensor " + t.name() + " has " + t.floatData().length + " floats for dims of " + n);
        return t.floatData();
    }

    /** An INT64 tensor's values (a Reshape's shape). */
    static long[] longs(Tensor t, String where) throws InvalidProtocolBufferException {
        if (t.dataType() != 7) throw new InvalidProtocolBufferException(where + ": tensor " + t.name() + " has data type " + t.dataType() + ", expected INT64 (7)");
        if (t.size() > 64) throw new InvalidProtocolBufferException(where + ": tensor " + t.name() + " is too large for a shape");
        if (t.raw() != null) {
            if (t.raw().length != t.size() * 8) throw new InvalidProtocolBufferException(where + ": tensor " + t.name() + " has the wrong number of bytes");
            long[] l = new long[(int) t.size()];
            ByteBuffer.wrap(t.raw()).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(l);
            return l;
        }
        return t.int64Data();
    }
}
