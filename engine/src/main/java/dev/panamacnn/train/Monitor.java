package dev.panamacnn.train;

import java.util.Map;

/**
 * The quantity a callback watches and which way is better, as Keras' callbacks decide it: {@code mode="auto"} is
 * {@code max} for names with {@code acc} or {@code accuracy} in them, else {@code min}.
 */
record Monitor(String name, boolean max) {
    static Monitor of(String name, String mode) {
        return switch (mode) {
            case "min" -> new Monitor(name, false);
            case "max" -> new Monitor(name, true);
            case "auto" -> new Monitor(name, name.endsWith("acc") || name.contains("accuracy"));
            default -> throw new IllegalArgumentException("mode must be auto, min or max, got '" + mode + "'");
        };
    }

    /** The monitored value of {@code logs}, or an error naming the keys there are. */
    double read(Map<String, Double> logs, String who) {
        Double v = logs.get(name);
        if (v == null) {
            throw new IllegalStateException(who + ": monitor '" + name + "' is not in the logs (they have " + logs.keySet()
                    + (name.startsWith("val_") ? "; give validation data" : "") + ")");
        }
        return v;
    }

    /** Whether {@code current} improves on {@code best} by more than {@code minDelta}. */
    boolean improves(double current, double best, double minDelta) {
        return max ? current - minDelta > best : current + minDelta < best;
    }

    double worst() { return max ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY; }
}
