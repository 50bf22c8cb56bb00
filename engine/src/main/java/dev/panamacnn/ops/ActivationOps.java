package dev.panamacnn.ops;

import dev.panamacnn.activations.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.panamacnn.ops.Vec.F;
import static dev.panamacnn.ops.Vec.L;
import static dev.panamacnn.ops.Vec.NO;
import static dev.panamacnn.ops.Vec.S;

/**
 * Bias + activation on {@code rows x cols} row-major blocks (forward), and the activation's derivative
 * applied to an incoming gradient, computed from the layer's output (backward).
 */
public final class ActivationOps {
    private ActivationOps() {}

    /** {@code y[r, c] = act(y[r, c] + bias[c])} in place; {@code bias} may be null. */
    public static void biasActivationForward(MemorySegment y, long off, int rows, int cols,
                                             MemorySegment bias, long biasOff, Activation act) {
        for (int r = 0; r < rows; r++) {
            long row = off + (long) r * cols;
            int c = 0;
            if (act == Activation.RELU || act == Activation.LINEAR || act == Activation.SOFTMAX) {
                FloatVector zero = FloatVector.zero(S);
                for (; c <= cols - L; c += L) {
                    long yb = (row + c) * 4;
                    FloatVector v = FloatVector.fromMemorySegment(S, y, yb, NO);
                    if (bias != null) v = v.add(FloatVector.fromMemorySegment(S, bias, (biasOff + c) * 4, NO));
                    if (act == Activation.RELU) v = v.max(zero);
                    v.intoMemorySegment(y, yb, NO);
                }
            }
            for (; c < cols; c++) {
                float v = y.getAtIndex(F, row + c);
                if (bias != null) v += bias.getAtIndex(F, biasOff + c);
                y.setAtIndex(F, row + c, scalar(act, v));
            }
            if (act == Activation.SOFTMAX) softmaxRow(y, row, cols);
        }
    }

    static float scalar(Activation act, float v) {
        return switch (act) {
            case RELU -> v > 0 ? v : 0f;
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-v)));
            case TANH -> (float) Math.tanh(v);
            case LINEAR, SOFTMAX -> v;
        };
    }

    /** Numerically stable softmax of one row, in place. */
    public static void softmaxRow(MemorySegment y, long row, int cols) {
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) max = Math.max(max, y.getAtIndex(F, row + c));
        double sum = 0;
        for (int c = 0; c < cols; c++) {
            float e = (float) Math.exp(y.getAtIndex(F, row + c) - max);
            y.setAtIndex(F, row + c, e);
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int c = 0; c < cols; c++) y.setAtIndex(F, row + c, y.getAtIndex(F, row + c) * inv);
    }

    /**
     * Turns {@code dy} (gradient w.r.t. the activation's output {@code y}) into the gradient w.r.t. its input,
     * in place.
     */
    public static void activationBackward(MemorySegment y, MemorySegment dy, long off, int rows, int cols, Activation act) {
        if (act == Activation.LINEAR) return;
        if (act == Activation.SOFTMAX) {
            for (int r = 0; r < rows; r++) {
                long row = off + (long) r * cols;
                float dotp = Vec.dot(y, row, dy, row, cols);
                for (int c = 0; c < cols; c++) {
                    float p = y.getAtIndex(F, row + c);
                    dy.setAtIndex(F, row + c, p * (dy.getAtIndex(F, row + c) - dotp));
                }
            }
            return;
        }
        long n = (long) rows * cols;
        long i = 0;
        if (act == Activation.RELU) {
            FloatVector zero = FloatVector.zero(S);
            for (; i <= n - L; i += L) {
                long b = (off + i) * 4;
                FloatVector yv = FloatVector.fromMemorySegment(S, y, b, NO);
                FloatVector g = FloatVector.fromMemorySegment(S, dy, b, NO);
                g.blend(zero, yv.compare(VectorOperators.LE, 0f)).intoMemorySegment(dy, b, NO);
            }
        }
        for (; i < n; i++) {
            float yv = y.getAtIndex(F, off + i), g = dy.getAtIndex(F, off + i);
            float d = switch (act) {
                case RELU -> yv > 0 ? g : 0f;
                case SIGMOID -> g * yv * (1 - yv);
                case TANH -> g * (1 - yv * yv);
                default -> g;
            };
            dy.setAtIndex(F, off + i, d);
        }
    }
}
