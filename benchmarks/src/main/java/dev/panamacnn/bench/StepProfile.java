package dev.panamacnn.bench;

import dev.panamacnn.models.Sequential;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;

/**
 * Where a training step's time goes, layer by layer: {@code StepProfile [batch] [threads] [steps] [MODEL_JSON]} (the
 * tutorial network, or a Keras model JSON taking MNIST-shaped inputs, compiled with Adam).
 * Runs warm-up steps first, then profiles; a diagnostic, not a benchmark (use JMH for comparisons).
 */
public final class StepProfile {
    public static void main(String[] args) throws java.io.IOException {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 128;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        Sequential m = Batches.model(args.length > 3 ? args[3] : null, threads);
        try (Arena arena = Arena.ofShared(); Sequential model = m) {
            var data = Batches.random(arena, batch);
            Tensor x = data.x(), y = data.y();
            for (int i = 0; i < 60; i++) model.trainOnBatch(x, y);
            model.cpu().enableProfiling();
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) model.trainOnBatch(x, y);
            double ms = (System.nanoTime() - t0) / 1e6 / steps;
            System.out.print(model.cpu().profile());
            System.out.printf("wall %.2f ms/step, %.0f images/s (batch %d, %d threads)%n", ms, batch * 1000 / ms, batch, threads);
        }
    }
}
