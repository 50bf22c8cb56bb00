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
            columns(y, row, 0, cols, bias, biasOff, act);
            if (act == Activation.SOFTMAX) softmaxRow(y, row, cols);
        }
    }

    /**
     * Bias and an element-wise activation (not softmax) on columns {@code [j0, j1)} of one row at {@code row}: the same
     * arithmetic as {@link #biasActivationForward} on those elements, for work split by columns.
     */
    public static void biasActivationColumns(MemorySegment y, long row, int j0, int j1, MemorySegment bias, long biasOff, Activation act) {
        if (act == Activation.SOFTMAX) throw new IllegalArgumentException("softmax is row-wise");
        columns(y, row, j0, j1, bias, biasOff, act);
    }

    /** Bias and the activation on columns {@code [j0, j1)} of one row; softmax only gets its bias here (the caller normalizes the row). */
    private static void columns(MemorySegment y, long row, int j0, int j1, MemorySegment bias, long biasOff, Activation act) {
        int c = j0;
        if (act == Activation.RELU || act == Activation.LINEAR || act == Activation.SOFTMAX) {
            FloatVector zero = FloatVector.zero(S);
            for (; c <= j1 - L; c += L) {
                long yb = (row + c) * 4;
                FloatVector v = FloatVector.fromMemorySegment(S, y, yb, NO);
                if (bias != null) v = v.add(FloatVector.fromMemorySegment(S, bias, (biasOff + c) * 4, NO));
                if (act == Activation.RELU) v = v.max(zero);
                v.intoMemorySegment(y, yb, NO);
            }
        }
        for (; c < j1; c++) {
            float v = y.getAtIndex(F, row + c);
            if (bias != null) v += bias.getAtIndex(F, biasOff + c);
            y.setAtIndex(F, row + c, scalar(act, v));
        }
    }

    /** The activation of one value (softmax is row-wise and handled by the caller). */
    public static float scalar(Activation act, float v) {
        return switch (act) {
            case RELU -> v > 0 ? v : 0f;
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-v)));
            case TANH -> (float) Math.tanh(v);
            case ELU -> v > 0 ? v : (float) Math.expm1(v);
            case LEAKY_RELU -> v > 0 ? v : v * Activation.LEAKY_SLOPE;
            case GELU -> (float) (0.5 * v * (1.0 + erf(v * 0.7071067811865476)));
            case SWISH -> (float) (v / (1.0 + Math.exp(-v)));
            case LINEAR, SOFTMAX -> v;
        };
    }

    /** The derivative of {@code act} at input {@code x} (every element-wise activation; softmax excluded). */
    public static double derivativeAt(Activation act, double x) {
        return switch (act) {
            case RELU -> x > 0 ? 1 : 0;
            case SIGMOID -> { double s = 1 / (1 + Math.exp(-x)); yield s * (1 - s); }
            case TANH -> { double t = Math.tanh(x); yield 1 - t * t; }
            case ELU -> x > 0 ? 1 : Math.exp(x);
            case LEAKY_RELU -> x > 0 ? 1 : Activation.LEAKY_SLOPE;
            case GELU -> 0.5 * (1 + erf(x * 0.7071067811865476)) + x * Math.exp(-0.5 * x * x) * 0.3989422804014327;
            case SWISH -> { double s = 1 / (1 + Math.exp(-x)); yield s + x * s * (1 - s); }
            case LINEAR, SOFTMAX -> 1;
        };
    }

    /**
     * erf(x) from the Chebyshev fit of erfc in Numerical Recipes (section 6.2, {@code erfcc}): fractional error below
     * 1.2e-7 everywhere, which is under a float ulp of GELU's {@code 0.5 (1 + erf)}.
     */
    public static double erf(double x) {
        double z = Math.abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - r : r - 1;
    }

    /**
     * {@code dy *= act'(z)} in place, from the activation's input {@code z} (for the activations whose derivative needs
     * it, {@link Activation#derivativeNeedsInput}; correct for every element-wise one).
     */
    public static void activationBackwardFromInput(MemorySegment z, MemorySegment dy, long off, long n, Activation act) {
        for (long i = 0; i < n; i++) {
            float g = dy.getAtIndex(F, off + i);
            dy.setAtIndex(F, off + i, (float) (g * derivativeAt(act, z.getAtIndex(F, off + i))));
        }
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
                case ELU -> yv > 0 ? g : g * (yv + 1);
                case LEAKY_RELU -> yv > 0 ? g : g * Activation.LEAKY_SLOPE;
                case GELU, SWISH -> throw new IllegalArgumentException(act.kerasName() + "'s derivative needs its input: use activationBackwardFromInput");
                default -> g;
            };
            dy.setAtIndex(F, off + i, d);
        }
    }
}
