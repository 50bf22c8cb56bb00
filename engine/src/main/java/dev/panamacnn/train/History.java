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

    public void add(Map<String, Double> logs, double seconds) {
        logs.forEach((k, v) -> values.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        epochSeconds.add(seconds);
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
