package dev.panamacnn.nn;

/**
 * What one call of a layer's forward or backward pass is about: the batch size {@code n}, training or inference,
 * the optimizer's step index (the next update's, from 1), and, for work split into sample groups, which group and
 * worker. A batch-wide call has {@code group == -1}.
 *
 * <p>{@code frozen}: the weights do not change during the call and a layer may reuse a cache made at the current
 * weights version ({@link #predict}).
 *
 * <p>The determinism rule lives here: the number of sample groups is fixed by {@code n} alone, never by the
 * thread count, so every reduction over groups sums the same partial results in the same order on any machine.
 */
public record Step(int n, boolean training, long iteration, int group, int groups, int worker, boolean frozen) {
    /** A batch-wide step. */
    public static Step of(int n, boolean training, long iteration) { return new Step(n, training, iteration, -1, groups(n), -1, false); }

    /**
     * A batch-wide inference step of {@code predict}: the weights are frozen for its duration, so a layer may reuse
     * what it derived from them at the current {@link dev.panamacnn.runtime.WeightsVersion} (a packed kernel).
     */
    public static Step predict(int n, long iteration) { return new Step(n, false, iteration, -1, groups(n), -1, true); }

    /** This step, narrowed to sample group {@code g} on worker {@code worker}. */
    public Step inGroup(int g, int worker) { return new Step(n, training, iteration, g, groups, worker, frozen); }

    /** Number of sample groups for a batch of n: fixed by n alone, never by the thread count. */
    public static int groups(int n) { return Math.min(n, 16); }

    /** First sample of group {@code g} of {@code groups} over a batch of {@code n}. */
    public static int groupStart(int g, int groups, int n) { return (int) ((long) g * n / groups); }

    /** First sample of this step's group. */
    public int start() { return groupStart(group, groups, n); }

    /** One past the last sample of this step's group. */
    public int end() { return groupStart(group + 1, groups, n); }
}
