package dev.panamacnn.io.onnx;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.data.AtomicFiles;
import dev.panamacnn.exec.Network;
import dev.panamacnn.exec.Plan;
import dev.panamacnn.nn.ActivationLayer;
import dev.panamacnn.nn.AveragePooling2D;
import dev.panamacnn.nn.BatchNormalization;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Dropout;
import dev.panamacnn.nn.Flatten;
import dev.panamacnn.nn.GlobalMaxPooling2D;
import dev.panamacnn.nn.GlobalPooling2D;
import dev.panamacnn.nn.InputLayer;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.LeakyReLU;
import dev.panamacnn.nn.MaxPool2D;
import dev.panamacnn.nn.Padding;
import dev.panamacnn.nn.ReLU;
import dev.panamacnn.nn.Rescaling;
import dev.panamacnn.nn.Reshape;
import dev.panamacnn.tensor.Shape;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a model as ONNX (IR version 8, opset 17, the default domain), for inference: Keras' NHWC input
 * {@code input [N, H, W, C]} is transposed once to ONNX's NCHW, convolution kernels go from Keras'
 * {@code (kh, kw, cin, cout)} to {@code (cout, cin, kh, kw)}, padding becomes explicit {@code pads}, and before a
 * Flatten or Reshape the tensor goes back to NHWC so that the flattened order, and so the Dense weights, are Keras'.
 * Dropout is the identity (inference), BatchNormalization uses the moving statistics. The output is
 * {@code probabilities [N, classes]}. A layer or setting with no ONNX form is refused, naming it.
 */
public final class OnnxExport {
    /** The ONNX IR version and opset written. */
    public static final long IR_VERSION = 8, OPSET = 17;

    private final Network net;
    private final MemorySegment params;
    private final List<Proto.Node> nodes = new ArrayList<>();
    private final List<Proto.Tensor> inits = new ArrayList<>();
    private int counter;
    /** The current tensor's name, and whether it is NCHW (rank 3 per sample) or flat. */
    private String cur;
    private boolean nchw;

    private OnnxExport(Network net) {
        this.net = net;
        this.params = net.parameters();
    }

    /** The ONNX bytes of {@code net}'s current weights, the graph named {@code name}. */
    public static byte[] toBytes(Network net, String name) {
        return new OnnxExport(net).build(name).toBytes();
    }

    /** Writes {@link #toBytes} to {@code file} atomically. */
    public static void write(Network net, String name, Path file) throws IOException {
        AtomicFiles.write(file, toBytes(net, name));
    }

    private String fresh(String base) { return base + "_" + counter++; }

    private String op(String op, String name, List<String> in, List<Proto.Attribute> attrs) {
        String out = fresh(name);
        nodes.add(new Proto.Node(op, out, in, List.of(out), attrs));
        cur = out;
        return out;
    }

    private String init(String name, long[] dims, float[] v) {
        String n = fresh(name);
        inits.add(Proto.Tensor.floats(n, dims, v));
        return n;
    }

    private float[] floats(long offset, int n) {
        float[] a = new float[n];
        MemorySegment.copy(params, ValueLayout.JAVA_FLOAT, offset * 4, a, 0, n);
        return a;
    }

    private Proto.Model build(String name) {
        Plan plan = net.plan();
        Shape in = plan.inputShape();
        long[] inDims = new long[in.rank() + 1];
        inDims[0] = -1;
        for (int i = 0; i < in.rank(); i++) inDims[i + 1] = in.dim(i);
        cur = "input";
        nchw = false;
        if (in.rank() == 3) {
            op("Transpose", "to_nchw", List.of(cur), List.of(Proto.Attribute.of("perm", 0L, 3L, 1L, 2L)));
            nchw = true;
        } else if (in.rank() != 1) {
            throw new IllegalArgumentException("ONNX export: inputs of shape " + in + " are not supported (expected (height, width, channels) or flat)");
        }
        for (int i = 0; i < plan.size(); i++) layer(plan.layer(i), plan.paramOffset(i), i == plan.size() - 1);
        nodes.add(new Proto.Node("Identity", "output", List.of(cur), List.of("probabilities"), List.of()));
        long[] outDims = {-1, plan.outputSize()};
        Proto.Graph g = new Proto.Graph(name, nodes, inits, List.of(new Proto.ValueInfo("input", inDims)),
                List.of(new Proto.ValueInfo("probabilities", outDims)),
                "panama-cnn: input NHWC " + in + ", output probabilities over " + plan.outputSize() + " classes");
        String v = OnnxExport.class.getPackage().getImplementationVersion();
        return new Proto.Model(IR_VERSION, "panama-cnn", v == null ? "dev" : v, g, OPSET);
    }

    private void layer(Layer l, long off, boolean last) {
        String n = l.name();
        switch (l) {
            case InputLayer x -> { }
            case Dropout x -> { }
            case Conv2D c -> conv(c, off);
            case MaxPool2D p -> pool("MaxPool", n, p.poolHeight(), p.poolWidth(), p.strideY(), p.strideX(), p.padding(), l.inputShape(), false);
            case AveragePooling2D p -> pool("AveragePool", n, p.poolHeight(), p.poolWidth(), p.strideY(), p.strideX(), p.padding(), l.inputShape(), true);
            case GlobalPooling2D p -> {
                op(p instanceof GlobalMaxPooling2D ? "GlobalMaxPool" : "GlobalAveragePool", n, List.of(cur), List.of());
                if (!p.keepDims()) { op("Flatten", n + "_flatten", List.of(cur), List.of(Proto.Attribute.of("axis", 1L))); nchw = false; }
            }
            case BatchNormalization b -> batchNorm(b, off);
            case Flatten f -> { toNhwc(n); op("Flatten", n, List.of(cur), List.of(Proto.Attribute.of("axis", 1L))); nchw = false; }
            case Reshape r -> reshape(r);
            case Dense d -> dense(d, off);
            case ActivationLayer a -> activation(a.activation(), n);
            case ReLU r -> relu(r, n);
            case LeakyReLU r -> op("LeakyRelu", n, List.of(cur), List.of(Proto.Attribute.of("alpha", r.negativeSlope())));
            case Rescaling r -> {
                op("Mul", n + "_scale", List.of(cur, init(n + "_scale_value", new long[0], new float[] {r.scale()})), List.of());
                if (r.offset() != 0f) op("Add", n + "_offset", List.of(cur, init(n + "_offset_value", new long[0], new float[] {r.offset()})), List.of());
            }
            default -> throw new IllegalArgumentException("ONNX export: layer " + n + " (" + l.kerasClassName() + ") has no ONNX form here");
        }
    }

    private void toNhwc(String n) {
        if (nchw) {
            op("Transpose", n + "_to_nhwc", List.of(cur), List.of(Proto.Attribute.of("perm", 0L, 2L, 3L, 1L)));
            nchw = false;
        }
    }

    private void conv(Conv2D c, long off) {
        int kh = c.kernelHeight(), kw = c.kernelWidth(), cin = c.inputShape().dim(2), f = c.filters();
        float[] k = floats(off, kh * kw * cin * f), w = new float[k.length];
        for (int o = 0; o < f; o++) for (int i = 0; i < cin; i++) for (int y = 0; y < kh; y++) for (int x = 0; x < kw; x++) {
            w[((o * cin + i) * kh + y) * kw + x] = k[((y * kw + x) * cin + i) * f + o];
        }
        List<String> in = new ArrayList<>(List.of(cur, init(c.name() + "_W", new long[] {f, cin, kh, kw}, w)));
        if (c.usesBias()) in.add(init(c.name() + "_B", new long[] {f}, floats(off + (long) kh * kw * cin * f, f)));
        int ih = c.inputShape().dim(0), iw = c.inputShape().dim(1);
        long top = c.padTop(), left = c.padLeft(), bottom = c.paddedHeight() - ih - top, right = c.paddedWidth() - iw - left;
        op("Conv", c.name(), in, List.of(Proto.Attribute.of("kernel_shape", (long) kh, kw), Proto.Attribute.of("strides", (long) c.strideY(), c.strideX()),
                Proto.Attribute.of("pads", top, left, bottom, right)));
        activation(c.activation(), c.name());
    }

    private void pool(String op, String n, int ph, int pw, int sh, int sw, Padding padding, Shape in, boolean average) {
        int h = in.dim(0), w = in.dim(1);
        long top = padding.before(h, ph, sh), left = padding.before(w, pw, sw);
        long bottom = padding.total(h, ph, sh) - top, right = padding.total(w, pw, sw) - left;
        List<Proto.Attribute> a = new ArrayList<>(List.of(Proto.Attribute.of("kernel_shape", (long) ph, pw), Proto.Attribute.of("strides", (long) sh, sw),
                Proto.Attribute.of("pads", top, left, bottom, right)));
        if (average) a.add(Proto.Attribute.of("count_include_pad", 0L));
        op(op, n, List.of(cur), a);
    }

    private void batchNorm(BatchNormalization b, long off) {
        int c = b.outputShape().dim(b.outputShape().rank() - 1);
        if (b.outputShape().rank() != 1 && !nchw) throw new IllegalArgumentException("ONNX export: " + b.name() + " on this layout is not supported");
        float[] gamma = new float[c], beta = new float[c];
        java.util.Arrays.fill(gamma, 1f);
        long o = off;
        if (b.scale()) { gamma = floats(o, c); o += c; }
        if (b.center()) { beta = floats(o, c); o += c; }
        float[] mean = floats(o, c), var = floats(o + c, c);
        String n = b.name();
        op("BatchNormalization", n, List.of(cur, init(n + "_scale", new long[] {c}, gamma), init(n + "_B", new long[] {c}, beta),
                init(n + "_mean", new long[] {c}, mean), init(n + "_var", new long[] {c}, var)), List.of(Proto.Attribute.of("epsilon", b.epsilon())));
    }

    private void reshape(Reshape r) {
        toNhwc(r.name());
        Shape out = r.outputShape();
        long[] shape = new long[out.rank() + 1];
        for (int i = 0; i < out.rank(); i++) shape[i + 1] = out.dim(i);
        String s = fresh(r.name() + "_shape");
        inits.add(Proto.Tensor.longs(s, shape));   // 0: keep the batch dimension
        op("Reshape", r.name(), List.of(cur, s), List.of());
        if (out.rank() == 3) {
            op("Transpose", r.name() + "_to_nchw", List.of(cur), List.of(Proto.Attribute.of("perm", 0L, 3L, 1L, 2L)));
            nchw = true;
        } else if (out.rank() != 1) {
            throw new IllegalArgumentException("ONNX export: " + r.name() + " to rank " + out.rank() + " is not supported");
        }
    }

    private void dense(Dense d, long off) {
        if (nchw) throw new IllegalArgumentException("ONNX export: " + d.name() + " on an unflattened input is not supported");
        int in = d.inputShape().size(), units = d.units();
        List<String> ins = new ArrayList<>(List.of(cur, init(d.name() + "_W", new long[] {in, units}, floats(off, in * units))));
        if (d.usesBias()) ins.add(init(d.name() + "_B", new long[] {units}, floats(off + (long) in * units, units)));
        op("Gemm", d.name(), ins, List.of());
        activation(d.activation(), d.name());
    }

    private void relu(ReLU r, String n) {
        if (r.threshold() != 0f) throw new IllegalArgumentException("ONNX export: " + n + " (ReLU with threshold " + r.threshold() + ") has no ONNX form here");
        if (r.maxValue() == null) {
            if (r.negativeSlope() == 0f) op("Relu", n, List.of(cur), List.of());
            else op("LeakyRelu", n, List.of(cur), List.of(Proto.Attribute.of("alpha", r.negativeSlope())));
        } else {
            if (r.negativeSlope() != 0f) throw new IllegalArgumentException("ONNX export: " + n + " (ReLU with max_value and negative_slope) has no ONNX form here");
            op("Clip", n, List.of(cur, init(n + "_min", new long[0], new float[] {0f}), init(n + "_max", new long[0], new float[] {r.maxValue()})), List.of());
        }
    }

    private void activation(Activation a, String n) {
        String x = cur;
        switch (a) {
            case LINEAR -> { }
            case RELU -> op("Relu", n + "_relu", List.of(x), List.of());
            case SIGMOID -> op("Sigmoid", n + "_sigmoid", List.of(x), List.of());
            case TANH -> op("Tanh", n + "_tanh", List.of(x), List.of());
            case ELU -> op("Elu", n + "_elu", List.of(x), List.of(Proto.Attribute.of("alpha", 1f)));
            case LEAKY_RELU -> op("LeakyRelu", n + "_leaky_relu", List.of(x), List.of(Proto.Attribute.of("alpha", Activation.LEAKY_SLOPE)));
            case SOFTMAX -> op("Softmax", n + "_softmax", List.of(x), List.of(Proto.Attribute.of("axis", 1L)));
            case SWISH -> {
                String s = op("Sigmoid", n + "_swish_sigmoid", List.of(x), List.of());
                op("Mul", n + "_swish", List.of(x, s), List.of());
            }
            case GELU -> {   // 0.5 x (1 + erf(x / sqrt 2)), Erf is in opset 13
                String d = op("Div", n + "_gelu_div", List.of(x, init(n + "_sqrt2", new long[0], new float[] {(float) Math.sqrt(2)})), List.of());
                String e = op("Erf", n + "_gelu_erf", List.of(d), List.of());
                String p = op("Add", n + "_gelu_add", List.of(e, init(n + "_one", new long[0], new float[] {1f})), List.of());
                String m = op("Mul", n + "_gelu_mul", List.of(x, p), List.of());
                op("Mul", n + "_gelu", List.of(m, init(n + "_half", new long[0], new float[] {0.5f})), List.of());
            }
        }
    }
}
