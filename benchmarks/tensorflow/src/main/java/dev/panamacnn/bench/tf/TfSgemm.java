package dev.panamacnn.bench.tf;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.TensorFlow;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The float32 matrix-product ceiling through TensorFlow's MatMul (oneDNN on x86), one of the GEMMs
 * {@code benchmarks/compare.sh} takes the fastest of: {@code TfSgemm THREADS [N ...]} (default 1024 2048 4096).
 * Each size: one product to warm up, then the best of 5, each timed from feed to fetched output; the output is
 * reduced to one number inside the graph ({@code Sum}, under 0.1% of the product's work at n=1024) so copying it
 * back does not count. Prints one JSON line.
 */
public final class TfSgemm {
    public static void main(String[] args) {
        int threads = Integer.parseInt(args[0]);
        int[] sizes = args.length > 1 ? java.util.Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray() : new int[] {1024, 2048, 4096};
        ConfigProto config = ConfigProto.newBuilder().setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(1).build();
        StringBuilder json = new StringBuilder();
        double best = 0;
        for (int n : sizes) {
            try (Graph g = new Graph(); Session s = new Session(g, config)) {
                Ops tf = Ops.create(g);
                Placeholder<TFloat32> a = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(n, n)));
                Placeholder<TFloat32> b = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(n, n)));
                Operand<TFloat32> sum = tf.sum(tf.linalg.matMul(a, b), tf.constant(new int[] {0, 1}));
                SplittableRandom r = new SplittableRandom(n);
                float[] x = new float[n * n], y = new float[n * n];
                for (int i = 0; i < x.length; i++) { x[i] = (float) r.nextDouble(); y[i] = (float) r.nextDouble(); }
                double gflops = 0;
                try (TFloat32 ta = TFloat32.tensorOf(Shape.of(n, n), DataBuffers.of(x, true, false));
                     TFloat32 tb = TFloat32.tensorOf(Shape.of(n, n), DataBuffers.of(y, true, false))) {
                    for (int rep = 0; rep < 6; rep++) {
                        long t0 = System.nanoTime();
                        try (Result res = s.runner().feed(a, ta).feed(b, tb).fetch(sum).run()) {
                            ((TFloat32) res.get(0)).getFloat();
                        }
                        double sec = (System.nanoTime() - t0) / 1e9;
                        if (rep > 0) gflops = Math.max(gflops, 2.0 * n * n * (double) n / sec / 1e9);
                    }
                }
                best = Math.max(best, gflops);
                json.append(String.format(Locale.ROOT, "\"n%d\": %.1f, ", n, gflops));
            }
        }
        System.out.println(String.format(Locale.ROOT, "{\"impl\": \"tfmatmul (TensorFlow %s MatMul)\", \"threads\": %d, %s\"best_gflops\": %.1f}",
                TensorFlow.version(), threads, json, best));
    }
}
