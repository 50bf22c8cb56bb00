package dev.panamacnn.io.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The ONNX messages panama-cnn writes, built as protobuf wire format with protobuf-java's own {@code CodedOutputStream}
 * (no generated classes): each record knows its field numbers from {@code onnx.proto} (onnx/onnx, IR version 8).
 */
final class Proto {
    private Proto() {}

    /** A message: writes its fields. */
    interface Message {
        void writeTo(CodedOutputStream out) throws IOException;

        default byte[] toBytes() {
            try {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                CodedOutputStream o = CodedOutputStream.newInstance(b);
                writeTo(o);
                o.flush();
                return b.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static void message(CodedOutputStream out, int field, Message m) throws IOException {
        out.writeByteArray(field, m.toBytes());
    }

    /** TensorProto: dims = 1, data_type = 2 (FLOAT = 1, INT64 = 7), name = 8, raw_data = 9 (little-endian). */
    record Tensor(String name, long[] dims, float[] floats, long[] longs) implements Message {
        static Tensor floats(String name, long[] dims, float[] v) { return new Tensor(name, dims, v, null); }
        static Tensor longs(String name, long[] v) { return new Tensor(name, new long[] {v.length}, null, v); }

        @Override public void writeTo(CodedOutputStream out) throws IOException {
            for (long d : dims) out.writeInt64(1, d);
            out.writeInt32(2, floats != null ? 1 : 7);
            out.writeString(8, name);
            ByteBuffer b = ByteBuffer.allocate(floats != null ? floats.length * 4 : longs.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            if (floats != null) for (float f : floats) b.putFloat(f);
            else for (long l : longs) b.putLong(l);
            out.writeBytes(9, ByteString.copyFrom(b.array()));
        }
    }

    /** AttributeProto: name = 1, f = 2, i = 3, floats = 7, ints = 8, type = 20 (FLOAT 1, INT 2, FLOATS 6, INTS 7). */
    record Attribute(String name, Float f, Long i, long[] ints) implements Message {
        static Attribute of(String name, float v) { return new Attribute(name, v, null, null); }
        static Attribute of(String name, long v) { return new Attribute(name, null, v, null); }
        static Attribute of(String name, long... v) { return new Attribute(name, null, null, v); }

        @Override public void writeTo(CodedOutputStream out) throws IOException {
            out.writeString(1, name);
            if (f != null) { out.writeFloat(2, f); out.writeInt32(20, 1); }
            else if (i != null) { out.writeInt64(3, i); out.writeInt32(20, 2); }
            else { for (long v : ints) out.writeInt64(8, v); out.writeInt32(20, 7); }
        }
    }

    /** NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5. */
    record Node(String op, String name, List<String> inputs, List<String> outputs, List<Attribute> attributes) implements Message {
        @Override public void writeTo(CodedOutputStream out) throws IOException {
            for (String s : inputs) out.writeString(1, s);
            for (String s : outputs) out.writeString(2, s);
            out.writeString(3, name);
            out.writeString(4, op);
            for (Attribute a : attributes) message(out, 5, a);
        }
    }

    /**
     * ValueInfoProto (name = 1, type = 2) of a float tensor: TypeProto.tensor_type = 1 {elem_type = 1, shape = 2
     * {dim = 1 {dim_value = 1 | dim_param = 2}}}; a negative dimension is the symbolic batch {@code N}.
     */
    record ValueInfo(String name, long[] dims) implements Message {
        @Override public void writeTo(CodedOutputStream out) throws IOException {
            out.writeString(1, name);
            Message shape = o -> {
                for (long d : dims) {
                    message(o, 1, x -> { if (d < 0) x.writeString(2, "N"); else x.writeInt64(1, d); });
                }
            };
            Message tensorType = o -> { o.writeInt32(1, 1); message(o, 2, shape); };
            message(out, 2, o -> message(o, 1, tensorType));
        }
    }

    /** GraphProto: node = 1, name = 2, initializer = 5, doc_string = 10, input = 11, output = 12. */
    record Graph(String name, List<Node> nodes, List<Tensor> initializers, List<ValueInfo> inputs, List<ValueInfo> outputs, String doc) implements Message {
        @Override public void writeTo(CodedOutputStream out) throws IOException {
            for (Node n : nodes) message(out, 1, n);
            out.writeString(2, name);
            for (Tensor t : initializers) message(out, 5, t);
            out.writeString(10, doc);
            for (ValueInfo v : inputs) message(out, 11, v);
            for (ValueInfo v : outputs) message(out, 12, v);
        }
    }

    /**
     * ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, model_version = 5, doc_string = 6, graph = 7,
     * opset_import = 8 (OperatorSetIdProto: domain = 1, version = 2).
     */
    record Model(long irVersion, String producer, String version, Graph graph, long opset) implements Message {
        @Override public void writeTo(CodedOutputStream out) throws IOException {
            out.writeInt64(1, irVersion);
            out.writeString(2, producer);
            out.writeString(3, version);
            out.writeInt64(5, 1);
            message(out, 7, graph);
            message(out, 8, o -> { o.writeString(1, ""); o.writeInt64(2, opset); });
        }
    }
}
