package dev.panamacnn.nn;

import org.junit.jupiter.api.Tag;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.models.Sequential;

import dev.panamacnn.data.Mnist;
import dev.panamacnn.data.SyntheticDigits;
import dev.panamacnn.io.Checkpoint;
import dev.panamacnn.io.TensorFile;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.train.Callback;
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A child JVM trains with a checkpoint after every step and is killed with SIGKILL at random moments (during
 * steps and during checkpoint writes), then restarted with resume, at least 10 times. Every checkpoint found
 * after a kill must be intact, and the final weights must equal an uninterrupted run's, bit for bit.
 */
@Tag("slow")
class KillResumeTest {
    static final int EPOCHS = 40, BATCH = 50, SLEEP_MS = 25;

    static Sequential model() {
        Sequential m = new Sequential(
                new Conv2D(4, 5, 5, Activation.RELU, Shape.of(28, 28, 1)),
                new MaxPool2D(2, 2),
                new Flatten(),
                new Dense(16, Activation.RELU),
                new Dense(10, Activation.SOFTMAX)).seed(8).threads(2);
        m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        return m;
    }

    static FitOptions.Builder options() {
        return FitOptions.builder().batchSize(BATCH).epochs(EPOCHS).verbose(false);
    }

    /** The child: {@code dataDir ckptDir outFile}. Trains (resuming when a checkpoint exists), then writes the weights. */
    public static void main(String[] args) throws Exception {
        Mnist data = Mnist.load(Path.of(args[0]), false, w -> {});
        Path ckpt = Path.of(args[1]);
        try (Sequential m = model()) {
            Callback slow = new Callback() {
                @Override public void onBatchEnd(int epoch, int step, Map<String, Double> logs) {
                    System.out.println("step " + epoch + " " + step);
                    System.out.flush();
                    try { Thread.sleep(SLEEP_MS); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                }
            };
            m.fit(data.train(), options().checkpoint(ckpt, 1).resume(true).callback(slow).build());
            TensorFile tf = new TensorFile();
            tf.putFloats("w", new int[] {(int) m.paramCount()}, m.parameters(), 0);
            tf.write(Path.of(args[2]));
        }
    }

    @Test
    void sigkillAtRandomMomentsThenResumeGivesTheUninterruptedWeights(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data"), ckpt = tmp.resolve("ckpt"), out = tmp.resolve("weights.bin");
        SyntheticDigits.write(data, 230, 10, 21);
        float[] reference;
        try (Sequential m = model()) {
            m.fit(Mnist.load(data, false, w -> {}).train(), options().build());
            reference = new float[(int) m.paramCount()];
            MemorySegment.copy(m.parameters(), ValueLayout.JAVA_FLOAT, 0, reference, 0, reference.length);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), KillResumeTest.class.getName(),
                data.toString(), ckpt.toString(), out.toString());
        Rng rng = new Rng(1234);
        int kills = 0, runs = 0;
        List<Integer> positions = new ArrayList<>();
        while (true) {
            runs++;
            assertTrue(runs < 60, "too many restarts");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            java.util.concurrent.atomic.AtomicInteger stepsSeen = new java.util.concurrent.atomic.AtomicInteger();
            StringBuilder log = new StringBuilder();
            Thread reader = new Thread(() -> {
                try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        synchronized (log) { log.append(line).append('\n'); }
                        if (line.startsWith("step ")) stepsSeen.incrementAndGet();
                    }
                } catch (java.io.IOException ignored) {
                    // the child was killed
                }
            });
            reader.start();
            boolean finished;
            if (kills < 10) {
                // kill at a random moment after a random number of steps (the first checkpoint write of a cold JVM
                // is slow, so killing right at the start would never let one complete): inside a step, a sleep
                // or a checkpoint write
                int target = 1 + rng.nextInt(12);
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (stepsSeen.get() < target && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(2);
                finished = p.waitFor(rng.nextInt(2 * SLEEP_MS), TimeUnit.MILLISECONDS);
                if (!finished) {
                    p.destroyForcibly();   // SIGKILL on Linux
                    p.waitFor();
                    kills++;
                }
            } else {
                finished = p.waitFor(120, TimeUnit.SECONDS);
            }
            reader.join(10_000);
            if (finished) {
                assertEquals(0, p.exitValue(), "child failed: " + log);
                if (kills >= 10) break;
                // finished before enough kills: start over from scratch so the count is met
                deleteTree(ckpt);
                Files.deleteIfExists(out);
                continue;
            }
            if (Checkpoint.exists(ckpt)) {
                TensorFile tf = TensorFile.read(Checkpoint.file(ckpt));   // throws if corrupt
                positions.add(tf.meta().path("epoch").asInt() * 100 + tf.meta().path("step").asInt());
            }
        }
        System.out.println("KillResumeTest: " + kills + " SIGKILLs in " + runs + " runs; checkpoint (epoch*100+step) after each kill: " + positions);
        try (var s = Files.list(ckpt)) {
            assertEquals(List.of(Checkpoint.FILE), s.map(x -> x.getFileName().toString()).toList(), "no temp files left behind");
        }
        assertTrue(positions.stream().distinct().count() >= 5, "kills landed at different points of training: " + positions);
        TensorFile result = TensorFile.read(out);
        assertArrayEquals(reference, result.get(out, "w").floats(), 0f,
                "weights after " + kills + " kills (checkpoint positions " + positions + ")");
        assertTrue(kills >= 10);
    }

    static void deleteTree(Path p) throws Exception {
        if (!Files.exists(p)) return;
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
