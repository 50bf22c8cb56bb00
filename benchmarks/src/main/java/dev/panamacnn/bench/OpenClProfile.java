package dev.panamacnn.bench;

import dev.panamacnn.gpu.BackendChoice;
import dev.panamacnn.gpu.OpenClAccelerator;
import dev.panamacnn.models.Sequential;

/**
 * Prints where an OpenCL training step of the tutorial network spends its time, per launch group
 * ({@code java ... dev.panamacnn.bench.OpenClProfile [batch] [reps] [device]}).
 */
public final class OpenClProfile {
    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 128;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Integer device = args.length > 2 ? Integer.valueOf(args[2]) : null;
        try (Sequential model = Batches.tutorialModel(1);
             OpenClAccelerator acc = OpenClAccelerator.create(model, BackendChoice.choose("opencl", device).device(), batch)) {
            System.out.print(acc.profile(batch, reps));
        }
    }
}
