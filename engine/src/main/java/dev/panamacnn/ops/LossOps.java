package dev.panamacnn.ops;

import java.lang.foreign.MemorySegment;

import static dev.panamacnn.ops.Vec.F;

/** Row helpers of the scoring code (the losses themselves live in {@code loss.Loss}, which sits below the ops). */
public final class LossOps {
    private LossOps() {}

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
