package dev.panamacnn.bench;

import dev.panamacnn.data.Dataset;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.models.Sequential;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * panama-cnn's half of {@code benchmarks/compare.sh}: the tutorial network on real MNIST, measured the same way
 * as {@code benchmarks/pytorch/bench.py}. Prints one JSON line: training images/s over N steps of batch 128
 * (after warm-up), inference images/s at batch 1000 and batch 1, and the process's peak RSS.
 * Usage: {@code Compare DATA_DIR STEPS THREADS [MODEL_JSON]}: the tutorial network, or the Keras model JSON given
 * (compiled with Adam and categorical cross-entropy, as bench.py compiles its twin).
 */
public final class Compare {
    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        int steps = Integer.parseInt(args[1]), threads = Integer.parseInt(args[2]);
        Mnist mnist = Mnist.load(data, false, w -> {});
        Dataset train = mnist.train(), test = mnist.test();
        Sequential m = Batches.model(args.length > 3 ? args[3] : null, threads);
        try (Sequential model = m) {
            int batch = 128, warm = 30;
            int perEpoch = train.size() / batch;
            for (int i = 0; i < warm; i++) {
                Dataset b = train.slice((i % perEpoch) * batch, batch);
                model.trainOnBatch(b.x(), b.y());
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                Dataset b = train.slice(((warm + i) % perEpoch) * batch, batch);
                model.trainOnBatch(b.x(), b.y());
            }
            double trainSec = (System.nanoTime() - t0) / 1e9;
            // inference, batch 1000: warm once, then the whole test set twice
            model.predict(test.x(), 1000);
            t0 = System.nanoTime();
            for (int r = 0; r < 2; r++) model.predict(test.x(), 1000);
            double inf1000 = 2.0 * test.size() / ((System.nanoTime() - t0) / 1e9);
            // inference, batch 1: one image at a time, warmed and timed by the clock (InferCompare.rate)
            Dataset[] singles = new Dataset[1000];
            for (int i = 0; i < singles.length; i++) singles[i] = test.slice(i, 1);
            int[] next = {0};
            Runnable single = () -> model.predict(singles[next[0]++ % singles.length].x(), 1);
            InferCompare.rate(single, 1, 2.0);
            double inf1 = InferCompare.rate(single, 1, 2.0);
            long rssKb = -1;
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) rssKb = Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
            System.out.println(String.format(Locale.ROOT,
                    "{\"impl\": \"%s\", \"threads\": %d, \"steps\": %d, \"train_images_per_s\": %.1f, \"epoch_s\": %.2f, "
                            + "\"infer_1000_images_per_s\": %.1f, \"infer_1_images_per_s\": %.1f, \"peak_rss_mb\": %.1f}",
                    InferCompare.label("panama-cnn"), threads, steps, steps * batch / trainSec, 60000 / (steps * batch / trainSec), inf1000, inf1, rssKb / 1024.0));
        }
    }
}
