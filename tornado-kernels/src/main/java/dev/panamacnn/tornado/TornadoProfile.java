package dev.panamacnn.tornado;

import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Models;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;

/**
 * Per-kernel device times of one TornadoVM training step of the tutorial network on random MNIST-shaped data
 * ({@link TornadoBackend#profile}). Usage, in a TornadoVM JVM:
 * {@code bin/panama-cnn-tornado} builds it; run {@code java @$TORNADOVM_HOME/tornado-argfile ... dev.panamacnn.tornado.TornadoProfile [BATCH] [STEPS] [DEVICE]}
 * (docs/gpu.md has the command).
 */
public final class TornadoProfile {
    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 128, steps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String device = args.length > 2 ? args[2] : null;
        try (Arena arena = Arena.ofShared(); Sequential model = Models.kerasMnistTutorial()) {
            model.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            Tensor x = Tensor.allocate(arena, Shape.of(batch, 28, 28, 1)), y = Tensor.allocate(arena, Shape.of(batch, 10));
            Rng r = new Rng(1);
            for (int i = 0; i < x.size(); i++) x.set(i, r.nextFloat());
            for (int i = 0; i < batch; i++) y.set(i * 10L + r.nextInt(10), 1f);
            try (TornadoBackend b = TornadoBackend.create(model, TornadoDevices.pick(device), batch)) {
                System.out.printf(java.util.Locale.ROOT, "compiled in %.1f s%n", b.compileSeconds());
                model.accelerate(b);
                model.trainOnBatch(x, y);
                System.out.print(b.profile(batch, steps));
                model.accelerate(null);
            }
        }
    }
}
