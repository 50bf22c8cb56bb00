package dev.panamacnn.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.panamacnn.data.Dataset;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * panama-cnn against ONNX Runtime on inference: {@code InferCompare DATA [THREADS=2] [ENGINE=panama-cnn|onnxruntime] [MODEL_JSON]}
 * times one engine and prints one JSON line; {@code benchmarks/compare.sh} runs both, alternating processes.
 *
 * <p>The tutorial network (or a Keras model JSON) is trained on MNIST for one epoch (469 steps of 128;
 * {@code -Dinfer.steps=N} for another count; until 2026-12-03 it was 100 steps), exported to ONNX with
 * {@link Sequential#exportOnnx} and loaded into ONNX Runtime (its Java API, {@code THREADS} intra-op threads, one
 * inter-op thread, all graph optimizations). Before any timing, both predict the first 1,000 test images and must
 * agree (probabilities within 1e-4, the same class for every image), in both processes (training is deterministic,
 * so both hold the same weights). Then the engine is timed at batch 1 (2,000 images one at a time, after 1,000 to
 * warm up) and batch 1000 (the 10,000 test images twice). ONNX Runtime's input tensors are made before the clock
 * starts and its output is read as a buffer, so neither side pays for the other's API.
 *
 * <p>Why a trained network: at batch 1 panama-cnn skips the dense kernels' rows whose input is zero, and how many
 * are zero depends on the training (the first dense layer's input after 100 steps: 41% zeros; after one epoch and
 * more: 60-70%). A network trained for one epoch is closer to one a user serves; ONNX Runtime's time does not
 * depend on the values.
 */
public final class InferCompare {
    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        String engine = args.length > 2 ? args[2] : "panama-cnn";
        if (!engine.equals("panama-cnn") && !engine.equals("onnxruntime")) throw new IllegalArgumentException("engine: panama-cnn or onnxruntime, got " + engine);
        Mnist mnist = Mnist.load(data, false, w -> {});
        Dataset train = mnist.train(), test = mnist.test();
        Sequential m = Batches.model(args.length > 3 ? args[3] : null, threads);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (Sequential model = m; OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            int steps = Integer.getInteger("infer.steps", 469);
            for (int i = 0; i < steps; i++) {
                Dataset b = train.slice(i % 469 * 128, Math.min(128, train.size() - i % 469 * 128));
                model.trainOnBatch(b.x(), b.y());
            }
            Path onnx = Files.createTempFile("panama-cnn-compare", ".onnx");
            model.exportOnnx(onnx);
            so.setIntraOpNumThreads(threads);
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            OrtSession ort = env.createSession(Files.readAllBytes(onnx), so);
            try {
                Files.delete(onnx);
                int[] shape = model.inputShape().dims();
                int size = 1;
                for (int d : shape) size *= d;
                long[] dims1 = new long[shape.length + 1], dims1000 = new long[shape.length + 1];
                dims1[0] = 1; dims1000[0] = 1000;
                for (int i = 0; i < shape.length; i++) { dims1[i + 1] = shape[i]; dims1000[i + 1] = shape[i]; }
                float[] all = test.x().segment().toArray(ValueLayout.JAVA_FLOAT);
                int classes = model.outputShape().dim(0);

                // agreement first
                float[] oursP = model.predict(test.slice(0, 1000).x(), 1000).toArray();
                float[] theirs = new float[1000 * classes];
                try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(all, 0, 1000 * size), dims1000);
                     OrtSession.Result r = ort.run(Map.of("input", in))) {
                    ((OnnxTensor) r.get(0)).getFloatBuffer().get(theirs);
                }
                double maxDiff = 0;
                int sameClass = 0;
                for (int i = 0; i < 1000; i++) {
                    int a = 0, b = 0;
                    for (int c = 0; c < classes; c++) {
                        maxDiff = Math.max(maxDiff, Math.abs(oursP[i * classes + c] - theirs[i * classes + c]));
                        if (oursP[i * classes + c] > oursP[i * classes + a]) a = c;
                        if (theirs[i * classes + c] > theirs[i * classes + b]) b = c;
                    }
                    if (a == b) sameClass++;
                }
                System.out.printf(Locale.ROOT, "agreement on 1,000 test images: max |p_ours - p_ort| = %.2e, same class for %d%n", maxDiff, sameClass);
                if (maxDiff > 1e-4 || sameClass != 1000) throw new IllegalStateException("ONNX Runtime and panama-cnn disagree: no timing");
                // the engine not timed here is shut down first, so no thread of it spins beside the timed one
                if (engine.equals("onnxruntime")) model.close();

                int n1 = 2000;
                List<OnnxTensor> singles = new ArrayList<>(n1);
                for (int i = 0; i < n1; i++) singles.add(OnnxTensor.createTensor(env, FloatBuffer.wrap(all, i * size, size), dims1));
                List<OnnxTensor> thousands = new ArrayList<>();
                for (int i = 0; i < 10; i++) thousands.add(OnnxTensor.createTensor(env, FloatBuffer.wrap(all, i * 1000 * size, 1000 * size), dims1000));
                float[] out = new float[1000 * classes];
                Dataset[] ourSingles = new Dataset[n1];
                for (int i = 0; i < n1; i++) ourSingles[i] = test.slice(i, 1);
                boolean ours = engine.equals("panama-cnn");
                if (ours) {
                    for (OnnxTensor t : singles) t.close();
                    for (OnnxTensor t : thousands) t.close();
                    ort.close();
                    ort = null;
                }
                final OrtSession session = ort;
                int[] next = {0};
                Runnable single = ours ? () -> model.predict(ourSingles[next[0]++ % n1].x(), 1)
                        : () -> runOrt(session, singles.get(next[0]++ % n1), out);
                Runnable batch = ours ? () -> model.predict(test.slice((next[0]++ % 10) * 1000, 1000).x(), 1000)
                        : () -> runOrt(session, thousands.get(next[0]++ % 10), out);
                // warm up by time, not by count: C2 needs a while on two cores shared with the work
                rate(single, 1, 2.0);
                rate(batch, 1000, 1.0);
                double b1 = rate(single, 1, 2.0), b1000 = rate(batch, 1000, 2.0);
                System.out.println(String.format(Locale.ROOT, "{\"impl\": \"%s\", \"version\": \"%s\", \"threads\": %d, "
                        + "\"infer_1_images_per_s\": %.1f, \"infer_1000_images_per_s\": %.1f, \"max_abs_diff\": %.3g}",
                        label(engine), engine.equals("panama-cnn") ? "" : ortVersion(), threads, b1, b1000, maxDiff));
            } finally {
                if (ort != null) ort.close();
            }
        }
    }

    /** The engine's name in the output: panama-cnn's says which {@code -Dpanamacnn.winograd} mode ran. */
    static String label(String engine) {
        String w = dev.panamacnn.runtime.Flags.winograd();
        return engine.equals("panama-cnn") ? "panama-cnn winograd=" + w : engine;
    }

    static void runOrt(OrtSession s, OnnxTensor in, float[] out) {
        try (OrtSession.Result r = s.run(Map.of("input", in))) {
            FloatBuffer b = ((OnnxTensor) r.get(0)).getFloatBuffer();
            b.get(out, 0, b.remaining());
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Images per second of {@code call} (each {@code images} images), run for at least {@code seconds}. */
    public static double rate(Runnable call, int images, double seconds) {
        long t0 = System.nanoTime(), end = t0 + (long) (seconds * 1e9);
        long calls = 0, t;
        do {
            for (int i = 0; i < 10; i++) call.run();
            calls += 10;
            t = System.nanoTime();
        } while (t < end);
        return calls * images / ((t - t0) / 1e9);
    }

    static String ortVersion() {
        Package p = OrtEnvironment.class.getPackage();
        return p != null && p.getImplementationVersion() != null ? p.getImplementationVersion() : "(version not in its jar manifest)";
    }

}
