package dev.panamacnn.io.onnx;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.panamacnn.activations.Activation;
import dev.panamacnn.io.ModelFormatException;
import dev.panamacnn.nn.ActivationLayer;
import dev.panamacnn.nn.AveragePooling2D;
import dev.panamacnn.nn.BatchNormalization;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Flatten;
import dev.panamacnn.nn.GlobalAveragePooling2D;
import dev.panamacnn.nn.GlobalMaxPooling2D;
import dev.panamacnn.nn.InputLayer;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.LeakyReLU;
import dev.panamacnn.nn.MaxPool2D;
import dev.panamacnn.nn.Padding;
import dev.panamacnn.nn.ReLU;
import dev.panamacnn.nn.Rescaling;
import dev.panamacnn.tensor.Shape;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns an ONNX inference graph that is a chain of supported ops (what {@code torch.onnx.export} writes for a
 * sequential network, and what {@link OnnxExport} writes) into panama-cnn layers and their weights. PyTorch's NCHW
 * becomes NHWC: convolution kernels {@code (cout, cin, kh, kw)} become {@code (kh, kw, cin, cout)}, explicit
 * {@code pads} become {@code valid} or {@code same} when they are one of those (else refused), and a Flatten of NCHW
 * data (PyTorch's order channel, row, column) permutes the next Dense layer's weights into NHWC's order, so the model
 * takes NHWC inputs and computes what the graph computed. A graph ending in logits (Gemm) gets a softmax on its last
 * layer: panama-cnn models end in probabilities, and PyTorch's probabilities are the softmax of its logits. Anything
 * else (another op, a branch, a cycle, an unsupported attribute) is refused naming the op and the node.
 */
public final class OnnxImport {
    /** The layers, each layer's parameter tensors in {@code paramSpecs()} order, and what was done that the user should know. */
    public record Result(List<Layer> layers, List<List<float[]>> weights, List<String> notes) {}

    private final Path file;
    private final Map<String, OnnxReader.Tensor> inits = new HashMap<>();
    private final List<Layer> layers = new ArrayList<>();
    private final List<List<float[]>> weights = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    /** Shape in panama-cnn's terms (h, w, c) or (features); whether the ONNX tensor is NCHW now. */
    private int[] shape;
    private boolean nchw;
    /** A Flatten of NCHW data with spatial size > 1 happened: the next Dense takes PyTorch's (c, y, x) order. */
    private int[] flattenedChw;
    /** The last layer made, while an activation may still fuse into it. */
    private Pending pending;

    private record Pending(String kind, Object[] args) {}

    private OnnxImport(Path file) { this.file = file; }

    private ModelFormatException refuse(OnnxReader.Node n, String why) {
        return new ModelFormatException(file, "node '" + n.name() + "' (" + n.op() + "): " + why);
    }

    /** Reads {@code bytes} (the file {@code file}). */
    public static Result read(Path file, byte[] bytes) throws ModelFormatException {
        OnnxReader.Model m;
        try {
            m = OnnxReader.model(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFormatException(file, "not a valid ONNX file: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(file, "not a valid ONNX file: " + e);
        }
        if (m.opset() < 9 || m.opset() > 22) throw new ModelFormatException(file, "opset " + m.opset() + " is not supported (9 to 22)");
        try {
            return new OnnxImport(file).build(m.graph());
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFormatException(file, e.getMessage());
        } catch (ModelFormatException e) {
            throw e;
        } catch (RuntimeException e) {   // a graph inconsistent in a way not checked above: still one line
            throw new ModelFormatException(file, "not a valid ONNX model: " + e);
        }
    }

    private Result build(OnnxReader.Graph g) throws ModelFormatException, InvalidProtocolBufferException {
        for (OnnxReader.Tensor t : g.initializers()) inits.put(t.name(), t);
        OnnxReader.ValueInfo input = null;
        for (OnnxReader.ValueInfo v : g.inputs()) if (!inits.containsKey(v.name())) { if (input != null) throw new ModelFormatException(file, "more than one graph input"); input = v; }
        if (input == null) throw new ModelFormatException(file, "the graph has no input");
        if (g.outputs().size() != 1) throw new ModelFormatException(file, "the graph has " + g.outputs().size() + " outputs; one is supported");
        Map<String, List<OnnxReader.Node>> consumers = new HashMap<>();
        for (OnnxReader.Node n : g.nodes()) {
            if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) throw refuse(n, "ops of domain '" + n.domain() + "' are not supported");
            for (String i : n.inputs()) if (!inits.containsKey(i) && !i.isEmpty()) consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
        }
        long[] d = input.dims();
        String cur = input.name();
        List<OnnxReader.Node> first = consumers.getOrDefault(cur, List.of());
        boolean nhwcInput = first.size() == 1 && first.get(0).op().equals("Transpose") && perm(first.get(0), 0, 3, 1, 2);
        if (d.length == 4) {
            for (int k = 1; k < 4; k++) if (d[k] < 1) throw new ModelFormatException(file, "input " + input.name() + " needs fixed dimensions past the batch, got " + java.util.Arrays.toString(d));
            shape = nhwcInput ? new int[] {(int) d[1], (int) d[2], (int) d[3]} : new int[] {(int) d[2], (int) d[3], (int) d[1]};
            nchw = true;
            if (!nhwcInput) notes.add("input " + input.name() + " is NCHW " + java.util.Arrays.toString(d) + "; the model takes NHWC " + Shape.of(shape));
            if (nhwcInput) cur = first.get(0).outputs().get(0);
        } else if (d.length == 2 && d[1] > 0) {
            shape = new int[] {(int) d[1]};
            nchw = false;
        } else {
            throw new ModelFormatException(file, "input " + input.name() + " of shape " + java.util.Arrays.toString(d) + " is not supported ([N, C, H, W], [N, H, W, C] or [N, F])");
        }
        layers.add(new InputLayer(Shape.of(shape)));
        weights.add(List.of());
        Set<OnnxReader.Node> seen = new HashSet<>();
        String out = g.outputs().get(0).name();
        while (!cur.equals(out)) {
            List<OnnxReader.Node> next = consumers.getOrDefault(cur, List.of());
            if (next.isEmpty()) throw new ModelFormatException(file, "tensor '" + cur + "' leads nowhere before the graph output '" + out + "'");
            if (next.size() > 1) throw refuse(next.get(1), "the graph branches at '" + cur + "' (only chains of ops are supported)");
            OnnxReader.Node n = next.get(0);
            if (!seen.add(n)) throw refuse(n, "the graph has a cycle");
            if (seen.size() > 10_000) throw refuse(n, "more than 10,000 nodes");
            op(n, consumers);
            if (n.outputs().isEmpty()) throw refuse(n, "has no output");
            cur = n.outputs().get(0);
        }
        flush();
        Layer last = layers.get(layers.size() - 1);
        if (last.activation() != Activation.SOFTMAX && last.activation() != Activation.SIGMOID) {
            if (last instanceof Dense dl) {
                List<float[]> w = weights.remove(weights.size() - 1);
                layers.remove(layers.size() - 1);
                layers.add(new Dense(dl.units(), Activation.SOFTMAX).useBias(dl.usesBias()));
                weights.add(w);
                notes.add("the graph ends in logits: a softmax was put on its last layer (" + dl.units() + " probabilities out)");
            } else {
                layers.add(ActivationLayer.softmax());
                weights.add(List.of());
                notes.add("the graph ends in logits: a Softmax layer was added");
            }
        }
        return new Result(layers, weights, notes);
    }

    private static boolean perm(OnnxReader.Node n, long... p) {
        OnnxReader.Attribute a = n.attr("perm");
        return a != null && java.util.Arrays.equals(a.ints(), p);
    }

    private long[] ints(OnnxReader.Node n, String name, long[] fallback) {
        OnnxReader.Attribute a = n.attr(name);
        return a == null ? fallback : a.ints();
    }

    private OnnxReader.Tensor weight(OnnxReader.Node n, int input) throws ModelFormatException {
        if (n.inputs().size() <= input) throw refuse(n, "input " + input + " is missing");
        OnnxReader.Tensor t = inits.get(n.inputs().get(input));
        if (t == null) throw refuse(n, "input '" + n.inputs().get(input) + "' must be a constant (an initializer)");
        return t;
    }

    /** valid or same for these pads over an input of {@code size}, else null. */
    private static Padding padding(long[] pads, int h, int w, int kh, int kw, int sh, int sw) {
        boolean zero = true;
        for (long p : pads) zero &= p == 0;
        if (zero) return Padding.VALID;
        Padding s = Padding.SAME;
        long[] same = {s.before(h, kh, sh), s.before(w, kw, sw), s.total(h, kh, sh) - s.before(h, kh, sh), s.total(w, kw, sw) - s.before(w, kw, sw)};
        return java.util.Arrays.equals(pads, same) ? Padding.SAME : null;
    }

    private void add(Layer l, List<float[]> w) {
        flush();
        layers.add(l);
        weights.add(w);
    }

    private void flush() {
        if (pending == null) return;
        Pending p = pending;
        pending = null;
        Object[] a = p.args();
        Activation act = (Activation) a[a.length - 1];
        if (p.kind().equals("conv")) {
            Conv2D c = new Conv2D((int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4], act, null).padding((Padding) a[5]).useBias(a[7] != null);
            layers.add(c);
            weights.add(a[7] == null ? List.of((float[]) a[6]) : List.of((float[]) a[6], (float[]) a[7]));
        } else {
            Dense dl = new Dense((int) a[0], act).useBias(a[2] != null);
            layers.add(dl);
            weights.add(a[2] == null ? List.of((float[]) a[1]) : List.of((float[]) a[1], (float[]) a[2]));
        }
    }

    /** Fuses {@code act} into the pending Conv2D or Dense if it has none, else adds an Activation layer. */
    private void activation(Activation act, String name) {
        if (pending != null && pending.args()[pending.args().length - 1] == Activation.LINEAR) {
            pending.args()[pending.args().length - 1] = act;
            return;
        }
        add(new ActivationLayer(act), List.of());
    }

    private void op(OnnxReader.Node n, Map<String, List<OnnxReader.Node>> consumers) throws ModelFormatException, InvalidProtocolBufferException {
        String where = "node '" + n.name() + "'";
        switch (n.op()) {
            case "Identity", "Dropout" -> { }
            case "Relu" -> activation(Activation.RELU, n.name());
            case "Sigmoid" -> activation(Activation.SIGMOID, n.name());
            case "Tanh" -> activation(Activation.TANH, n.name());
            case "Elu" -> {
                OnnxReader.Attribute a = n.attr("alpha");
                if (a != null && a.f() != 1f) throw refuse(n, "alpha " + a.f() + " (only 1)");
                activation(Activation.ELU, n.name());
            }
            case "LeakyRelu" -> {
                OnnxReader.Attribute a = n.attr("alpha");
                add(new LeakyReLU(a == null ? 0.01f : a.f()), List.of());
            }
            case "Softmax" -> {
                OnnxReader.Attribute a = n.attr("axis");
                long axis = a == null ? -1 : a.i();
                boolean lastAxis = axis == -1 || (nchw ? axis == 1 : axis == 1);
                if (!lastAxis) throw refuse(n, "softmax over axis " + axis + " (only the channel / feature axis)");
                activation(Activation.SOFTMAX, n.name());
            }
            case "Transpose" -> {
                if (!(nchw && perm(n, 0, 2, 3, 1))) throw refuse(n, "only the NCHW to NHWC transpose before a Flatten is supported");
                List<OnnxReader.Node> next = consumers.getOrDefault(n.outputs().get(0), List.of());
                if (next.size() != 1 || !(next.get(0).op().equals("Flatten") || next.get(0).op().equals("Reshape"))) {
                    throw refuse(n, "a transpose to NHWC must be followed by a Flatten");
                }
                nchw = false;   // NHWC order: the Flatten that follows is panama-cnn's own
            }
            case "Conv" -> {
                OnnxReader.Tensor wt = weight(n, 0 + 1);
                if (wt.dims().length != 4) throw refuse(n, "expected a 2-D convolution kernel [cout, cin, kh, kw]");
                int f = (int) wt.dims()[0], cin = (int) wt.dims()[1], kh = (int) wt.dims()[2], kw = (int) wt.dims()[3];
                if (!nchw || shape.length != 3 || cin != shape[2]) throw refuse(n, "kernel for " + cin + " input channels, the input has shape " + Shape.of(shape));
                OnnxReader.Attribute group = n.attr("group");
                if (group != null && group.i() != 1) throw refuse(n, "group " + group.i() + " (only 1)");
                for (long dl : ints(n, "dilations", new long[] {1, 1})) if (dl != 1) throw refuse(n, "dilations other than 1");
                long[] st = ints(n, "strides", new long[] {1, 1}), pads = ints(n, "pads", new long[] {0, 0, 0, 0});
                Padding pad = padding(pads, shape[0], shape[1], kh, kw, (int) st[0], (int) st[1]);
                if (pad == null) throw refuse(n, "pads " + java.util.Arrays.toString(pads) + " are neither valid nor same padding");
                float[] w = OnnxReader.floats(wt, where), k = new float[w.length];
                for (int o = 0; o < f; o++) for (int i = 0; i < cin; i++) for (int y = 0; y < kh; y++) for (int x = 0; x < kw; x++) {
                    k[((y * kw + x) * cin + i) * f + o] = w[((o * cin + i) * kh + y) * kw + x];
                }
                float[] b = n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() ? OnnxReader.floats(weight(n, 2), where) : null;
                if (b != null && b.length != f) throw refuse(n, "bias of " + b.length + " for " + f + " filters");
                flush();
                pending = new Pending("conv", new Object[] {f, kh, kw, (int) st[0], (int) st[1], pad, k, b, Activation.LINEAR});
                shape = new int[] {pad.outputSize(shape[0], kh, (int) st[0]), pad.outputSize(shape[1], kw, (int) st[1]), f};
            }
            case "MaxPool", "AveragePool" -> {
                long[] ks = ints(n, "kernel_shape", null);
                if (ks == null || ks.length != 2) throw refuse(n, "expected a 2-D kernel_shape");
                OnnxReader.Attribute ceil = n.attr("ceil_mode");
                if (ceil != null && ceil.i() != 0) throw refuse(n, "ceil_mode 1");
                for (long dl : ints(n, "dilations", new long[] {1, 1})) if (dl != 1) throw refuse(n, "dilations other than 1");
                long[] st = ints(n, "strides", new long[] {1, 1}), pads = ints(n, "pads", new long[] {0, 0, 0, 0});
                Padding pad = padding(pads, shape[0], shape[1], (int) ks[0], (int) ks[1], (int) st[0], (int) st[1]);
                if (pad == null) throw refuse(n, "pads " + java.util.Arrays.toString(pads) + " are neither valid nor same padding");
                if (n.op().equals("AveragePool")) {
                    OnnxReader.Attribute cip = n.attr("count_include_pad");
                    if (pad == Padding.SAME && cip != null && cip.i() != 0) throw refuse(n, "count_include_pad 1 with padding (Keras does not count the padding)");
                    add(new AveragePooling2D((int) ks[0], (int) ks[1], (int) st[0], (int) st[1], pad), List.of());
                } else {
                    add(new MaxPool2D((int) ks[0], (int) ks[1], (int) st[0], (int) st[1]).padding(pad), List.of());
                }
                shape = new int[] {pad.outputSize(shape[0], (int) ks[0], (int) st[0]), pad.outputSize(shape[1], (int) ks[1], (int) st[1]), shape[2]};
            }
            case "GlobalAveragePool", "GlobalMaxPool" -> {
                add(n.op().equals("GlobalMaxPool") ? new GlobalMaxPooling2D(true) : new GlobalAveragePooling2D(true), List.of());
                shape = new int[] {1, 1, shape[2]};
            }
            case "BatchNormalization" -> {
                OnnxReader.Attribute tm = n.attr("training_mode");
                if (tm != null && tm.i() != 0) throw refuse(n, "training_mode 1");
                OnnxReader.Attribute eps = n.attr("epsilon");
                int c = shape[shape.length - 1];
                List<float[]> w = new ArrayList<>();
                for (int i = 1; i <= 4; i++) {
                    float[] v = OnnxReader.floats(weight(n, i), where);
                    if (v.length != c) throw refuse(n, "input " + i + " has " + v.length + " values for " + c + " channels");
                    w.add(v);
                }
                add(new BatchNormalization(0.99f, eps == null ? 1e-5f : eps.f(), true, true), w);
            }
            case "Flatten", "Reshape" -> {
                if (n.op().equals("Flatten")) {
                    OnnxReader.Attribute ax = n.attr("axis");
                    if (ax != null && ax.i() != 1) throw refuse(n, "axis " + ax.i() + " (only 1)");
                } else {
                    long[] s = OnnxReader.longs(weight(n, 1), where);
                    long total = 1;
                    for (int v : shape) total *= v;
                    if (s.length != 2 || !(s[1] == total || s[1] == -1)) throw refuse(n, "only a reshape to [N, " + total + "] (a flatten) is supported, got " + java.util.Arrays.toString(s));
                }
                if (shape.length == 3 && nchw && shape[0] * shape[1] > 1) flattenedChw = shape.clone();
                add(new Flatten(), List.of());
                int total = 1;
                for (int v : shape) total *= v;
                shape = new int[] {total};
                nchw = false;
            }
            case "Gemm", "MatMul" -> dense(n, consumers);
            case "Clip" -> {
                float lo = n.inputs().size() > 1 && !n.inputs().get(1).isEmpty() ? OnnxReader.floats(weight(n, 1), where)[0] : (n.attr("min") != null ? n.attr("min").f() : Float.NEGATIVE_INFINITY);
                float hi = n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() ? OnnxReader.floats(weight(n, 2), where)[0] : (n.attr("max") != null ? n.attr("max").f() : Float.POSITIVE_INFINITY);
                if (lo != 0f || !(hi > 0) || Float.isInfinite(hi)) throw refuse(n, "only Clip(0, max) (a ReLU with max_value) is supported");
                add(new ReLU(hi, 0f, 0f), List.of());
            }
            case "Mul", "Add" -> {
                if (n.inputs().size() != 2) throw refuse(n, "expected two inputs");
                OnnxReader.Tensor t = inits.get(n.inputs().get(1));
                if (t == null) t = inits.get(n.inputs().get(0));
                if (t != null && n.op().equals("Add") && pending != null && pending.kind().equals("dense") && pending.args()[2] == null
                        && t.size() == (int) pending.args()[0]) {
                    pending.args()[2] = OnnxReader.floats(t, where);   // MatMul + Add: the Dense layer's bias
                    return;
                }
                if (t == null || t.size() != 1) throw refuse(n, "only a product or sum with one constant number (Rescaling) is supported");
                float v = OnnxReader.floats(t, where)[0];
                if (n.op().equals("Mul")) add(new Rescaling(v, 0f), List.of());
                else add(new Rescaling(1f, v), List.of());
            }
            default -> throw refuse(n, "op " + n.op() + " is not supported (supported: Conv, Gemm, MatMul+Add, MaxPool, AveragePool, GlobalAveragePool, "
                    + "GlobalMaxPool, BatchNormalization, Flatten, Reshape (to flat), Relu, Sigmoid, Tanh, Elu, LeakyRelu, Softmax, Clip, Dropout, Identity, scalar Mul/Add)");
        }
    }

    private void dense(OnnxReader.Node n, Map<String, List<OnnxReader.Node>> consumers) throws ModelFormatException, InvalidProtocolBufferException {
        String where = "node '" + n.name() + "'";
        if (shape.length != 1) throw refuse(n, "a matrix product on an unflattened input of shape " + Shape.of(shape));
        OnnxReader.Tensor wt = weight(n, 1);
        if (wt.dims().length != 2) throw refuse(n, "expected a 2-D weight");
        boolean transB = n.op().equals("Gemm") && n.attr("transB") != null && n.attr("transB").i() == 1;
        if (n.op().equals("Gemm")) {
            if (n.attr("transA") != null && n.attr("transA").i() != 0) throw refuse(n, "transA 1");
            OnnxReader.Attribute al = n.attr("alpha"), be = n.attr("beta");
            if ((al != null && al.f() != 1f) || (be != null && be.f() != 1f)) throw refuse(n, "alpha and beta other than 1");
        }
        int in = (int) (transB ? wt.dims()[1] : wt.dims()[0]), units = (int) (transB ? wt.dims()[0] : wt.dims()[1]);
        if (in != shape[0]) throw refuse(n, "weight for " + in + " inputs, the input has " + shape[0]);
        float[] w = OnnxReader.floats(wt, where), k = new float[w.length];
        for (int i = 0; i < in; i++) for (int o = 0; o < units; o++) k[i * units + o] = transB ? w[o * in + i] : w[i * units + o];
        if (flattenedChw != null) {   // PyTorch flattened (c, y, x); panama-cnn flattens (y, x, c)
            int h = flattenedChw[0], wd = flattenedChw[1], c = flattenedChw[2];
            float[] p = new float[k.length];
            for (int ch = 0; ch < c; ch++) for (int y = 0; y < h; y++) for (int x = 0; x < wd; x++) {
                int torch = (ch * h + y) * wd + x, ours = (y * wd + x) * c + ch;
                System.arraycopy(k, torch * units, p, ours * units, units);
            }
            k = p;
            flattenedChw = null;
        }
        float[] b = null;
        if (n.op().equals("Gemm") && n.inputs().size() > 2 && !n.inputs().get(2).isEmpty()) {
            b = OnnxReader.floats(weight(n, 2), where);
        }
        if (b != null && b.length != units) throw refuse(n, "bias of " + b.length + " for " + units + " units");
        flush();
        pending = new Pending("dense", new Object[] {units, k, b, Activation.LINEAR});
        shape = new int[] {units};
    }
}
