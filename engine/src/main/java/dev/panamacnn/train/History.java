package dev.panamacnn.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Per-epoch logs, like Keras' {@code History.history}: {@code loss}, {@code accuracy}, {@code val_loss}, ... */
public final class History {
    private final Map<String, List<Double>> values = new LinkedHashMap<>();
    private final List<Double> epochSeconds = new ArrayList<>();
    private boolean stopped;
    private int stoppedEarlyAt = -1;

    /** The epoch (from 0) after which a callback ended training (EarlyStopping), or -1. */
    public int stoppedEarlyAt() { return stoppedEarlyAt; }
    public void setStoppedEarly(int epoch) { stoppedEarlyAt = epoch; }

    /** Adds or replaces {@code key} in the last epoch's logs (a value a callback logged after the epoch). */
    public void amendLast(String key, double v) {
        List<Double> l = values.computeIfAbsent(key, x -> new ArrayList<>());
        int e = epochSeconds.size();
        while (l.size() < e - 1) l.add(Double.NaN);
        if (l.size() == e) l.set(e - 1, v); else l.add(v);
    }

    /** True when training was stopped early (Ctrl-C) rather than running all its epochs. */
    public boolean stopped() { return stopped; }
    public void setStopped(boolean s) { stopped = s; }

    public void add(Map<String, Double> logs, double seconds) {
        logs.forEach((k, v) -> values.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        epochSeconds.add(seconds);
    }

    /** Replaces the contents (used when resuming from a checkpoint). */
    public void restore(Map<String, List<Double>> v, List<Double> seconds) {
        values.clear();
        v.forEach((k, l) -> values.put(k, new ArrayList<>(l)));
        epochSeconds.clear();
        epochSeconds.addAll(seconds);
    }

    public List<Double> get(String key) { return Collections.unmodifiableList(values.getOrDefault(key, List.of())); }

    public Map<String, List<Double>> history() { return Collections.unmodifiableMap(values); }

    public List<Double> epochSeconds() { return Collections.unmodifiableList(epochSeconds); }

    public int epochs() { return epochSeconds.size(); }

    public double last(String key) {
        List<Double> l = get(key);
        if (l.isEmpty()) throw new IllegalArgumentException("no values for '" + key + "'");
        return l.get(l.size() - 1);
    }
}
