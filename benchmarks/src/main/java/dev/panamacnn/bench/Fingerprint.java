package dev.panamacnn.bench;

import dev.panamacnn.data.Dataset;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.data.SyntheticDigits;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.models.Models;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.optim.SGD;
import dev.panamacnn.tensor.Tensor;
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.loss.Metric;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Prints SHA-256 fingerprints of the tutorial network's parameters after 20 training steps and of its predictions,
 * for 1 and 2 threads and both optimizers, on synthetic digits (no download). Two builds that print the same lines
 * train bit-identically. Usage: {@code Fingerprint [DATA_DIR]} (default: a temporary folder of synthetic digits).
 */
public final class Fingerprint {
    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("pcnn-fingerprint");
        if (args.length == 0) SyntheticDigits.write(dir, 2560, 500, 7);
        Mnist data = Mnist.load(dir, false, w -> {});
        Dataset train = data.train().take(2560), test = data.test().take(500);
        System.out.println("-Dpanamacnn.winograd=" + dev.panamacnn.runtime.Flags.winograd() + " (on: training and predictions on Winograd, the default; predict: training on the direct path; off: both direct)"
                + " -Dpanamacnn.winograd4=" + dev.panamacnn.runtime.Flags.winograd4() + " (true, the default: the forward pass, and in training the input gradient, on F(4x4, 5x5) where it applies)"
                + " -Dpanamacnn.winograd4.kernelGradient=" + dev.panamacnn.runtime.Flags.winograd4KernelGradient() + " (true, the default: training's kernel gradient there as F(5x5, 4x4); false: F(5x5, 2x2))");
        for (String opt : new String[] {"adam", "sgd"}) {
            for (int threads : new int[] {1, 2}) {
                try (Sequential model = Models.kerasMnistTutorial().seed(42).threads(threads)) {
                    model.compile(opt.equals("adam") ? new Adam() : new SGD(0.01f, 0.9f), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                    var h = model.fit(train, FitOptions.builder().batchSize(128).epochs(1).verbose(false).build());
                    String params = sha(model.parameters(), model.paramCount());
                    Tensor p = model.predict(test.x(), 100);
                    String preds = sha(p.segment(), p.shape().size());
                    System.out.printf("%s threads=%d loss=%.6f params=%s predictions=%s%n", opt, threads,
                            h.history().get("loss").get(0), params.substring(0, 16), preds.substring(0, 16));
                }
            }
        }
    }

    static String sha(MemorySegment s, long floats) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(s.asSlice(0, floats * 4).toArray(ValueLayout.JAVA_BYTE));
        return HexFormat.of().formatHex(md.digest());
    }
}
