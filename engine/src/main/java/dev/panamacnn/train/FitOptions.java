package dev.panamacnn.train;

import dev.panamacnn.data.Dataset;

import java.util.ArrayList;
import java.util.List;

/** The arguments of Keras' {@code fit}: batch size, epochs, validation data, callbacks, shuffle, verbosity. */
public record FitOptions(int batchSize, int epochs, Dataset validation, List<Callback> callbacks, boolean shuffle, boolean verbose) {
    public FitOptions {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        callbacks = List.copyOf(callbacks);
    }

    public static Builder builder() { return new Builder(); }

    public static final class Builder {
        private int batchSize = 32, epochs = 1;
        private Dataset validation;
        private final List<Callback> callbacks = new ArrayList<>();
        private boolean shuffle = true, verbose = true;

        public Builder batchSize(int b) { batchSize = b; return this; }
        public Builder epochs(int e) { epochs = e; return this; }
        public Builder validationData(Dataset v) { validation = v; return this; }
        public Builder callback(Callback c) { callbacks.add(c); return this; }
        public Builder shuffle(boolean s) { shuffle = s; return this; }
        public Builder verbose(boolean v) { verbose = v; return this; }
        public FitOptions build() { return new FitOptions(batchSize, epochs, validation, callbacks, shuffle, verbose); }
    }
}
