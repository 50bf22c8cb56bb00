package dev.panamacnn.train;

import dev.panamacnn.data.Dataset;
import dev.panamacnn.exec.Backend;
import dev.panamacnn.exec.Network;
import dev.panamacnn.exec.StepResult;
import dev.panamacnn.io.Checkpoint;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.ops.LossOps;
import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keras' training loop over any {@link Backend}: {@code fit} (shuffling, callbacks, the progress line, validation,
 * checkpoints, resume, the divergence guard), {@code evaluate}, {@code predict} and {@code trainOnBatch}. It moves
 * batches into the backend's host buffers and reads back a few scalars per step; it never looks at how the backend
 * computes.
 */
public final class Trainer {
    private final Network net;
    private final Backend backend;

    public Trainer(Network net, Backend backend) {
        this.net = net;
        this.backend = backend;
    }

    private void load(Tensor x, Tensor y, int[] order, int from, int n) {
        long xs = (long) net.plan().inputSize() * 4, ys = (long) net.loss().targetWidth(net.plan().outputSize()) * 4;
        MemorySegment bx = backend.input(), by = y == null ? null : backend.target();
        for (int i = 0; i < n; i++) {
            int src = order == null ? from + i : order[from + i];
            MemorySegment.copy(x.segment(), src * xs, bx, i * xs, xs);
            if (y != null) MemorySegment.copy(y.segment(), src * ys, by, i * ys, ys);
        }
    }

    /** Checks that {@code x} holds samples of the model's input shape. */
    public void checkInput(Tensor x, String what) {
        Shape s = x.shape();
        int[] d = s.dims();
        Shape in = net.plan().inputShape();
        if (d.length < 2 || !Shape.of(Arrays.copyOfRange(d, 1, d.length)).equals(in)) {
            throw new IllegalArgumentException(what + ": expected samples of shape " + in + ", got " + s);
        }
    }

    /**
     * Checks that {@code y} holds targets the loss takes: one-hot rows of the model's output width, or (sparse) one
     * integer label in {@code [0, classes)} per sample, or (binary) one value in [0, 1] per sample.
     */
    public void checkTargets(Tensor y, String what) {
        int classes = net.plan().outputSize(), tw = net.loss().targetWidth(classes);
        if (y.shape().rank() != 2 || y.shape().dim(1) != tw) {
            throw new IllegalArgumentException(what + ": " + net.loss().kerasName() + " takes targets of shape (N, " + tw + ")"
                    + (net.loss().kind() == dev.panamacnn.loss.Loss.Kind.SPARSE_CATEGORICAL ? " (integer class labels; Dataset.sparse() converts one-hot ones)" : "")
                    + ", got " + y.shape());
        }
        if (net.loss().kind() == dev.panamacnn.loss.Loss.Kind.CATEGORICAL) return;
        long n = y.shape().dim(0);
        for (long i = 0; i < n; i++) {
            float v = y.segment().getAtIndex(ValueLayout.JAVA_FLOAT, i);
            boolean ok = net.loss().kind() == dev.panamacnn.loss.Loss.Kind.BINARY ? v >= 0 && v <= 1 : v == (int) v && v >= 0 && v < classes;
            if (!ok) {
                throw new IllegalArgumentException(what + ": target " + i + " is " + v + "; " + net.loss().kerasName() + " expects "
                        + (net.loss().kind() == dev.panamacnn.loss.Loss.Kind.BINARY ? "values in [0, 1]" : "integer labels in [0, " + classes + ")"));
            }
        }
    }

    /** One gradient step on a batch, like Keras' {@code train_on_batch}. */
    public StepResult trainOnBatch(Tensor x, Tensor y) {
        checkInput(x, "trainOnBatch");
        checkTargets(y, "trainOnBatch");
        int n = x.shape().dim(0);
        backend.reserve(n, true);
        load(x, y, null, 0, n);
        return backend.trainStep(n);
    }

    /**
     * Trains for {@code o.epochs()} epochs of shuffled mini-batches. With a checkpoint directory, a checkpoint is
     * written at the end of every epoch (and every N steps if asked); with {@code resume}, training continues
     * from that checkpoint, and the final weights are bit-identical to an uninterrupted run.
     *
     * @throws TrainingDivergedException when the loss or a parameter becomes NaN or infinite
     * @throws UncheckedIOException when a checkpoint cannot be written or read
     */
    public History fit(Dataset train, FitOptions o) {
        checkInput(train.x(), "fit");
        checkTargets(train.y(), "fit");
        if (o.validation() != null) {
            checkInput(o.validation().x(), "fit validation data");
            checkTargets(o.validation().y(), "fit validation data");
        }
        int total = train.size(), bs = o.batchSize();
        if (bs > total) throw new IllegalArgumentException("batch size " + bs + " is larger than the " + total + " training samples");
        int steps = (total + bs - 1) / bs;
        int[] order = new int[total];
        for (int i = 0; i < total; i++) order[i] = i;
        Rng shuffle = new Rng(net.seed() ^ 0x5DEECE66DL);
        History history = new History();
        int startEpoch = 0, startStep = 0;
        double lossSum = 0;
        long correct = 0, seen = 0, topK = 0;
        Path ckpt = o.checkpointDir();
        if (o.resume() && Checkpoint.exists(ckpt)) {
            Checkpoint.State st;
            try {
                st = Checkpoint.restore(ckpt, net, total, bs);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            order = st.order();
            shuffle.setState(st.rngState());
            startEpoch = st.epoch();
            startStep = st.step();
            lossSum = st.lossSum(); correct = st.correct(); seen = st.seen();
            history.restore(st.history(), st.epochSeconds());
            backend.pushState();
        }
        backend.reserve(bs, true);
        List<Callback> cbs = new ArrayList<>();
        if (o.verbose()) cbs.add(ProgressBar.toStdout());
        cbs.addAll(o.callbacks());
        FitContext ctx = new FitContext(net, backend);
        for (Callback c : cbs) c.setContext(ctx);
        for (Callback c : cbs) c.onTrainBegin(o.epochs(), steps);
        boolean stopped = false;
        for (int epoch = startEpoch; epoch < o.epochs() && !stopped; epoch++) {
            for (Callback c : cbs) c.onEpochBegin(epoch);
            long t0 = System.nanoTime();
            int first = epoch == startEpoch ? startStep : 0;
            if (first == 0) {
                if (o.shuffle()) shuffle.shuffle(order);
                lossSum = 0; correct = 0; seen = 0; topK = 0;
            }
            for (int step = first; step < steps; step++) {
                int from = step * bs, n = Math.min(bs, total - from);
                load(train.x(), train.y(), order, from, n);
                StepResult r = backend.trainStep(n);
                checkFinite(r, epoch, step);
                lossSum += r.lossSum(); correct += r.correct(); seen += n;
                if (r.topK() >= 0) topK += r.topK();
                if (!cbs.isEmpty()) {
                    Map<String, Double> logs = logs(lossSum / seen, (double) correct / seen, (double) topK / seen);
                    for (Callback c : cbs) c.onBatchEnd(epoch, step, logs);
                }
                boolean last = step + 1 == steps;
                boolean stop = o.stop() != null && o.stop().requested();
                if (!last && ckpt != null && (stop || (o.checkpointEverySteps() > 0 && (step + 1) % o.checkpointEverySteps() == 0))) {
                    checkpoint(ckpt, new Checkpoint.State(epoch, step + 1, o.epochs(), bs, order, shuffle.state(), lossSum, correct, seen,
                            history.history(), history.epochSeconds()));
                }
                if (stop && !last) { stopped = true; break; }
            }
            if (stopped) break;
            Map<String, Double> logs = logs(lossSum / seen, (double) correct / seen, (double) topK / seen);
            if (o.validation() != null) {
                EvalResult v = evaluate(o.validation(), bs);
                for (var e : logs(v.loss(), v.accuracy(), v.topKAccuracy()).entrySet()) logs.put("val_" + e.getKey(), e.getValue());
                backend.reserve(bs, true);
            }
            history.add(logs, (System.nanoTime() - t0) / 1e9);
            for (Callback c : cbs) c.onEpochEnd(epoch, logs);
            if (logs.containsKey("learning_rate")) history.amendLast("learning_rate", logs.get("learning_rate"));
            if (ckpt != null) {   // after the callbacks, so that a learning rate they changed is in it
                checkpoint(ckpt, new Checkpoint.State(epoch + 1, 0, o.epochs(), bs, order, shuffle.state(), 0, 0, 0,
                        history.history(), history.epochSeconds()));
            }
            if (o.stop() != null && o.stop().requested()) stopped = true;
            if (ctx.stopRequested()) { history.setStoppedEarly(epoch); break; }
        }
        history.setStopped(stopped);
        backend.pullState();
        for (Callback c : cbs) c.onTrainEnd(history);
        return history;
    }

    private void checkpoint(Path dir, Checkpoint.State s) {
        backend.pullState();
        try {
            Checkpoint.write(dir, net, s);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("cannot write checkpoint in " + dir + ": " + e.getMessage(), e));
        }
    }

    /**
     * Stops training on a NaN or infinite loss, gradient or parameter, naming the step and the layer. The optimizer
     * checks gradients and parameters in its own pass; the scans here run only to name the culprit.
     */
    private void checkFinite(StepResult r, int epoch, int step) {
        if (Double.isFinite(r.lossSum()) && r.finite()) return;
        backend.pullState();
        long badParam = firstNonFinite(net.parameters(), net.paramCount());
        long badGrad = firstNonFinite(net.gradients(), net.paramCount());
        StringBuilder sb = new StringBuilder("training diverged at epoch ").append(epoch + 1).append(", step ").append(step + 1)
                .append(" (iteration ").append(net.optimizer().iterations()).append("): ");
        sb.append(Double.isFinite(r.lossSum()) ? "loss " + r.loss() : "loss is " + r.loss());
        if (badGrad >= 0) sb.append("; first non-finite gradient in ").append(net.plan().paramName(badGrad));
        if (badParam >= 0) sb.append("; first non-finite parameter in ").append(net.plan().paramName(badParam));
        sb.append(". Try a lower learning rate; the last checkpoint (if any) was left as it was.");
        throw new TrainingDivergedException(sb.toString());
    }

    private static long firstNonFinite(MemorySegment s, long n) {
        VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
        long i = 0;
        for (; i <= n - sp.length(); i += sp.length()) {
            FloatVector v = FloatVector.fromMemorySegment(sp, s, i * 4, java.nio.ByteOrder.nativeOrder());
            if (v.sub(v).compare(VectorOperators.NE, 0f).anyTrue()) break;
        }
        for (; i < n; i++) if (!Float.isFinite(s.getAtIndex(ValueLayout.JAVA_FLOAT, i))) return i;
        return -1;
    }

    /** Keras' log keys: {@code loss}, then each compiled metric under its name. */
    private Map<String, Double> logs(double loss, double acc, double topK) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", loss);
        for (Metric x : net.metrics()) m.put(x.kerasName(), x.topK() ? topK : acc);
        return m;
    }

    /** Mean loss and accuracy over {@code data}, in batches of {@code batchSize}. */
    public EvalResult evaluate(Dataset data, int batchSize) {
        checkInput(data.x(), "evaluate");
        checkTargets(data.y(), "evaluate");
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1");
        int bs = backend.reserve(Math.min(batchSize, data.size()), false);
        double lossSum = 0;
        long correct = 0, topK = 0;
        boolean hasTopK = false;
        for (int from = 0; from < data.size(); from += bs) {
            int n = Math.min(bs, data.size() - from);
            load(data.x(), data.y(), null, from, n);
            StepResult r = backend.evaluate(n);
            lossSum += r.lossSum(); correct += r.correct();
            if (r.topK() >= 0) { topK += r.topK(); hasTopK = true; }
        }
        return new EvalResult(lossSum / data.size(), (double) correct / data.size(), data.size(), hasTopK ? (double) topK / data.size() : Double.NaN);
    }

    /** Output probabilities {@code (N, classes)} for inputs {@code (N, ...)}, in batches of {@code batchSize}. */
    public Tensor predict(Tensor x, int batchSize) {
        checkInput(x, "predict");
        int total = x.shape().dim(0);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1");
        int bs = backend.reserve(Math.min(batchSize, total), false);
        int classes = net.plan().outputSize();
        Tensor out = Tensor.allocate(Arena.ofAuto(), Shape.of(total, classes));
        for (int from = 0; from < total; from += bs) {
            int n = Math.min(bs, total - from);
            load(x, null, null, from, n);
            backend.predict(n, out.segment().asSlice((long) from * classes * 4, (long) n * classes * 4));
        }
        return out;
    }

    /** Arg-max class of each row of {@code probabilities} {@code (N, classes)}. */
    public static int[] classes(Tensor probabilities) {
        int n = probabilities.shape().dim(0), c = probabilities.shape().dim(1);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = LossOps.argmax(probabilities.segment(), (long) i * c, c);
        return r;
    }
}
