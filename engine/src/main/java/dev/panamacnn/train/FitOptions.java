package dev.panamacnn.train;

import dev.panamacnn.data.Dataset;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of Keras' {@code fit} (batch size, epochs, validation data, callbacks, shuffle, verbosity), plus
 * checkpointing, resuming and a stop flag.
 */
public record FitOptions(int batchSize, int epochs, Dataset validation, List<Callback> callbacks, boolean shuffle, boolean verbose,
                         Path checkpointDir, int checkpointEverySteps, boolean resume, TrainingStopped stop) {
    public FitOptions {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        if (checkpointEverySteps < 0) throw new IllegalArgumentException("checkpoint interval must be >= 0, got " + checkpointEverySteps);
        if (resume && checkpointDir == null) throw new IllegalArgumentException("resume needs a checkpoint directory");
        callbacks = List.copyOf(callbacks);
    }

    public static Builder builder() { return new Builder(); }

    public static final class Builder {
        private int batchSize = 32, epochs = 1;
        private Dataset validation;
        private final List<Callback> callbacks = new ArrayList<>();
        private boolean shuffle = true, verbose = true, resume;
        private Path checkpointDir;
        private int checkpointEverySteps;
        private TrainingStopped stop;

        public Builder batchSize(int b) { batchSize = b; return this; }
        public Builder epochs(int e) { epochs = e; return this; }
        public Builder validationData(Dataset v) { validation = v; return this; }
        public Builder callback(Callback c) { callbacks.add(c); return this; }
        public Builder shuffle(boolean s) { shuffle = s; return this; }
        public Builder verbose(boolean v) { verbose = v; return this; }
        /** Write a checkpoint into {@code dir} at the end of every epoch (and every {@code everySteps} steps if > 0). */
        public Builder checkpoint(Path dir, int everySteps) { checkpointDir = dir; checkpointEverySteps = everySteps; return this; }
        /** Continue from the checkpoint in the checkpoint directory, if there is one. */
        public Builder resume(boolean r) { resume = r; return this; }
        /** A flag that stops training at the end of the current step. */
        public Builder stopOn(TrainingStopped s) { stop = s; return this; }
        public FitOptions build() {
            return new FitOptions(batchSize, epochs, validation, callbacks, shuffle, verbose, checkpointDir, checkpointEverySteps, resume, stop);
        }
    }
}
