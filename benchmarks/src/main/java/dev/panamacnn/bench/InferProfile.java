package dev.panamacnn.bench;

import dev.panamacnn.models.Sequential;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;

/**
 * Where an inference call's time goes, layer by layer: {@code InferProfile [batch] [threads] [calls] [MODEL_JSON]} (the
 * tutorial network by default). Warms up first, then profiles {@code predict} on one batch; a diagnostic, not a
 * benchmark (use {@code benchmarks/compare.sh} or JMH for comparisons).
 */
public final class InferProfile {
    public static void main(String[] args) throws java.io.IOException {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        int calls = args.length > 2 ? Integer.parseInt(args[2]) : 5000;
        Sequential m = Batches.model(args.length > 3 ? args[3] : null, threads);
        try (Arena arena = Arena.ofShared(); Sequential model = m) {
            Tensor x = Batches.random(arena, batch).x();
            for (int i = 0; i < calls; i++) model.predict(x, batch);
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) model.predict(x, batch);
            double plain = (System.nanoTime() - t0) / 1e3 / calls;
            model.cpu().enableProfiling();
            for (int i = 0; i < calls; i++) model.predict(x, batch);
            System.out.print(model.cpu().profile());
            System.out.printf("wall %.1f us per predict call, %.0f images/s (batch %d, %d threads)%n", plain, batch * 1e6 / plain, batch, threads);
        }
    }
}
