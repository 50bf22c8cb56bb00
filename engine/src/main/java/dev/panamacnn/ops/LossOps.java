package dev.panamacnn.ops;

import java.lang.foreign.MemorySegment;

import static dev.panamacnn.ops.Vec.F;

/** Categorical cross-entropy on probabilities (the output of a softmax), and its fused gradient. */
public final class LossOps {
    private LossOps() {}

    /** Keras clips probabilities to [EPSILON, 1 - EPSILON] before the log. */
    public static final float EPSILON = 1e-7f;

    /** Loss of one row: {@code -sum_j y_j log(clip(p_j))}. */
    public static double crossEntropyRow(MemorySegment p, long pOff, MemorySegment y, long yOff, int classes) {
        double loss = 0;
        for (int j = 0; j < classes; j++) {
            float t = y.getAtIndex(F, yOff + j);
            if (t != 0f) {
                float q = Math.min(Math.max(p.getAtIndex(F, pOff + j), EPSILON), 1f - EPSILON);
                loss -= t * Math.log(q);
            }
        }
        return loss;
    }

    /**
     * Gradient of the batch-mean cross-entropy of softmax(z) w.r.t. the logits z, for rows [0, n):
     * {@code dz = (p - y) / n} (valid when each target row sums to 1).
     */
    public static void softmaxCrossEntropyBackward(MemorySegment p, MemorySegment y, MemorySegment dz, int n, int classes, int batchForMean) {
        float inv = 1f / batchForMean;
        long total = (long) n * classes;
        for (long i = 0; i < total; i++) dz.setAtIndex(F, i, (p.getAtIndex(F, i) - y.getAtIndex(F, i)) * inv);
    }

    /** Index of the largest value in a row (first on ties). */
    public static int argmax(MemorySegment m, long off, int n) {
        int best = 0;
        float bv = m.getAtIndex(F, off);
        for (int j = 1; j < n; j++) {
            float v = m.getAtIndex(F, off + j);
            if (v > bv) { bv = v; best = j; }
        }
        return best;
    }
}
