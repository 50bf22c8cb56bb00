package dev.panamacnn.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.panamacnn.exec.Network;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to continue training exactly: weights, optimizer state and step count, the shuffling
 * generator's state and the current epoch's sample order, the position (epoch, step), the epoch's running
 * loss and accuracy sums, and the history so far. One {@link TensorFile}, {@code checkpoint.pcnn}, written
 * atomically: the previous checkpoint stays in place until the new one is complete.
 */
public final class Checkpoint {
    private Checkpoint() {}

    public static final String FILE = "checkpoint.pcnn";

    /** Where training stands. {@code step} is the next step to run in {@code epoch}; when 0, the epoch has not been shuffled yet. */
    public record State(int epoch, int step, int epochs, int batchSize, int[] order, long rngState, double lossSum, long correct,
                        long seen, Map<String, List<Double>> history, List<Double> epochSeconds) {}

    public static Path file(Path dir) { return dir.resolve(FILE); }

    public static boolean exists(Path dir) { return Files.isRegularFile(file(dir)); }

    public static void write(Path dir, Network model, State s) throws IOException {
        Files.createDirectories(dir);
        // a process killed mid-write leaves its temp file behind; it was never renamed, so it is garbage
        try (var old = Files.newDirectoryStream(dir, "." + FILE + ".*.tmp")) {
            for (Path t : old) Files.deleteIfExists(t);
        }
        TensorFile tf = new TensorFile();
        ObjectNode m = tf.meta();
        m.put("kind", "checkpoint");
        m.set("model", ModelIO.toJson(model));
        m.put("epoch", s.epoch());
        m.put("step", s.step());
        m.put("epochs", s.epochs());
        m.put("batch_size", s.batchSize());
        m.put("iterations", model.optimizer().iterations());
        m.put("learning_rate", model.optimizer().learningRate());   // a callback may have changed it
        m.put("rng_state", s.rngState());
        m.put("loss_sum", s.lossSum());
        m.put("correct", s.correct());
        m.put("seen", s.seen());
        ObjectNode h = m.putObject("history");
        s.history().forEach((k, v) -> { ArrayNode a = h.putArray(k); v.forEach(a::add); });
        ArrayNode secs = m.putArray("epoch_seconds");
        s.epochSeconds().forEach(secs::add);
        ModelIO.putWeights(model, tf);
        List<MemorySegment> st = model.optimizer().state();
        for (int i = 0; i < st.size(); i++) tf.putFloats("optimizer/" + i, new int[] {(int) model.paramCount()}, st.get(i), 0);
        tf.putInts("order", s.order());
        tf.write(file(dir));
    }

    /**
     * Reads the checkpoint in {@code dir}, checks it belongs to this model, batch size and data set, and loads
     * weights and optimizer state into {@code model}. Nothing is changed when a check fails.
     */
    public static State restore(Path dir, Network model, int datasetSize, int batchSize) throws IOException {
        Path f = file(dir);
        TensorFile tf = TensorFile.read(f);
        JsonNode m = tf.meta();
        if (!"checkpoint".equals(m.path("kind").asText())) throw new ModelFormatException(f, "not a checkpoint (kind '" + m.path("kind").asText() + "')");
        // compared as parsed JSON on both sides, so that number types (a float written, a double read) cannot differ
        JsonNode mine = TensorFile.JSON.readTree(TensorFile.JSON.writeValueAsString(ModelIO.toJson(model).path("config")));
        if (!mine.equals(m.path("model").path("config"))) {
            throw new ModelFormatException(f, "was written for a different architecture");
        }
        if (!m.path("model").path("compile_config").path("optimizer").path("name").asText().equals(model.optimizer().name())) {
            throw new ModelFormatException(f, "was written with optimizer " + m.path("model").path("compile_config").path("optimizer").path("name").asText()
                    + ", this run uses " + model.optimizer().name());
        }
        int bs = m.path("batch_size").asInt(-1);
        if (bs != batchSize) throw new ModelFormatException(f, "was written with batch size " + bs + ", this run uses " + batchSize);
        int[] order = tf.get(f, "order").ints();
        if (order == null || order.length != datasetSize) {
            throw new ModelFormatException(f, "was written for " + (order == null ? "?" : order.length) + " training samples, this run has " + datasetSize);
        }
        boolean[] seenIdx = new boolean[datasetSize];
        for (int i : order) {
            if (i < 0 || i >= datasetSize || seenIdx[i]) throw new ModelFormatException(f, "sample order is not a permutation of 0.." + (datasetSize - 1));
            seenIdx[i] = true;
        }
        int epoch = m.path("epoch").asInt(-1), step = m.path("step").asInt(-1), epochs = m.path("epochs").asInt(-1);
        int steps = (datasetSize + batchSize - 1) / batchSize;
        if (epoch < 0 || step < 0 || step >= steps) throw new ModelFormatException(f, "bad position epoch " + epoch + " step " + step);
        long iterations = m.path("iterations").asLong(-1);
        if (iterations < 0) throw new ModelFormatException(f, "missing optimizer iteration count");
        List<MemorySegment> st = model.optimizer().state();
        List<float[]> stateData = new ArrayList<>();
        for (int i = 0; i < st.size(); i++) {
            TensorFile.Entry e = tf.get(f, "optimizer/" + i);
            if (e.floats() == null || e.floats().length != model.paramCount()) throw new ModelFormatException(f, "optimizer state " + i + " has the wrong size");
            stateData.add(e.floats());
        }
        Map<String, List<Double>> history = new LinkedHashMap<>();
        m.path("history").fields().forEachRemaining(en -> {
            List<Double> l = new ArrayList<>();
            en.getValue().forEach(x -> l.add(x.asDouble()));
            history.put(en.getKey(), l);
        });
        List<Double> secs = new ArrayList<>();
        m.path("epoch_seconds").forEach(x -> secs.add(x.asDouble()));
        // all checks passed: now change the model
        ModelIO.takeWeights(f, tf, model);
        for (int i = 0; i < st.size(); i++) {
            float[] a = stateData.get(i);
            MemorySegment.copy(a, 0, st.get(i), ValueLayout.JAVA_FLOAT, 0, a.length);
        }
        model.optimizer().setIterations(iterations);
        JsonNode lr = m.path("learning_rate");
        if (lr.isNumber() && (float) lr.asDouble() != model.optimizer().learningRate()) model.optimizer().setLearningRate((float) lr.asDouble());
        return new State(epoch, step, epochs, bs, order, m.path("rng_state").asLong(), m.path("loss_sum").asDouble(),
                m.path("correct").asLong(), m.path("seen").asLong(), history, secs);
    }
}
