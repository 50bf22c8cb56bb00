package dev.panamacnn.bench.tf;

import dev.panamacnn.bench.InferCompare;
import dev.panamacnn.data.Dataset;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Models;
import dev.panamacnn.models.Sequential;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.TensorFlow;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * TensorFlow's half of {@code benchmarks/compare.sh}: the tutorial network built as a TensorFlow graph through
 * TensorFlow Java (graph mode, {@code tensorflow-framework}'s Adam, {@code THREADS} intra-op threads, one inter-op
 * thread), measured the way {@code Compare} measures panama-cnn. Prints one JSON line.
 *
 * <p>Usage: {@code TfCompare DATA_DIR STEPS THREADS [INTER_OP_THREADS=1]}.
 *
 * <p>Before any timing it checks that the graph is the same network and optimizer as ours: both start from
 * panama-cnn's initial weights (seed 1) and train 30 steps on the same batches, and the losses must agree (steps 1
 * and 2, which check the forward pass and one Adam update, within 1e-3; all 30 within 0.05, as rounding differences
 * grow); then panama-cnn's trained weights are copied into the graph and both predict
 * the first 1,000 test images, which must agree within 1e-4 with the same class for every image. Only then is our
 * model closed and TensorFlow timed: STEPS training steps of batch 128 (after those 30), inference at batch 1000
 * (the test set twice, after one pass) and at batch 1 (by the clock, after a warm-up), with input tensors made before
 * the clock starts.
 */
public final class TfCompare {
    private static final int BATCH = 128, WARM = 30;

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        int steps = Integer.parseInt(args[1]), threads = Integer.parseInt(args[2]);
        int interOp = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        Mnist mnist = Mnist.load(data, false, w -> {});
        Dataset train = mnist.train(), test = mnist.test();
        float[] trainX = train.x().segment().toArray(ValueLayout.JAVA_FLOAT), trainY = train.y().segment().toArray(ValueLayout.JAVA_FLOAT);
        float[] testX = test.x().segment().toArray(ValueLayout.JAVA_FLOAT);
        int perEpoch = train.size() / BATCH;

        Sequential ours = Models.kerasMnistTutorial().seed(1).threads(threads);
        ours.compile(new dev.panamacnn.optim.Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        float[] init = ours.parameters().toArray(ValueLayout.JAVA_FLOAT);

        ConfigProto config = ConfigProto.newBuilder().setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(interOp).build();
        try (Graph g = new Graph()) {
            Net net = new Net(g, init);
            try (Session s = new Session(g, config)) {
                s.initialize();
                // 1. the same network and optimizer: the same losses from the same start on the same batches
                double firstDiff = 0, maxDiff = 0;
                float oursLast = 0, theirsLast = 0;
                List<TFloat32[]> batches = new ArrayList<>();
                for (int i = 0; i < WARM + steps; i++) batches.add(batch(trainX, trainY, (i % perEpoch) * BATCH));
                for (int i = 0; i < WARM; i++) {
                    Dataset b = train.slice((i % perEpoch) * BATCH, BATCH);
                    float a = (float) ours.trainOnBatch(b.x(), b.y()).loss();
                    float t = net.step(s, batches.get(i));
                    double d = Math.abs(a - t);
                    if (i < 2) firstDiff = Math.max(firstDiff, d);
                    maxDiff = Math.max(maxDiff, d);
                    oursLast = a;
                    theirsLast = t;
                }
                System.out.printf(Locale.ROOT, "training agreement: losses of steps 1-2 differ by at most %.2e, of steps 1-%d by at most %.2e (last: ours %.4f, TensorFlow %.4f)%n",
                        firstDiff, WARM, maxDiff, oursLast, theirsLast);
                if (firstDiff > 1e-3 || maxDiff > 0.05) throw new IllegalStateException("TensorFlow and panama-cnn train differently: no timing");

                // 2. inference agreement on our trained weights
                float[] trained = ours.parameters().toArray(ValueLayout.JAVA_FLOAT);
                float[] oursP = ours.predict(test.slice(0, 1000).x(), 1000).toArray();
                ours.close();
                float[] kept = net.read(s);
                net.write(s, trained);
                float[] theirsP;
                try (TFloat32 x = images(testX, 0, 1000)) {
                    theirsP = net.predict(s, x);
                }
                double pDiff = 0;
                int same = 0;
                for (int i = 0; i < 1000; i++) {
                    int a = 0, b = 0;
                    for (int c = 0; c < 10; c++) {
                        pDiff = Math.max(pDiff, Math.abs(oursP[i * 10 + c] - theirsP[i * 10 + c]));
                        if (oursP[i * 10 + c] > oursP[i * 10 + a]) a = c;
                        if (theirsP[i * 10 + c] > theirsP[i * 10 + b]) b = c;
                    }
                    if (a == b) same++;
                }
                System.out.printf(Locale.ROOT, "inference agreement on 1,000 test images (our weights): max |p_ours - p_tf| = %.2e, same class for %d%n", pDiff, same);
                if (pDiff > 1e-4 || same != 1000) throw new IllegalStateException("TensorFlow and panama-cnn disagree: no timing");
                net.write(s, kept);

                // 3. timing, TensorFlow alone in the process
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) net.step(s, batches.get(WARM + i));
                double trainSec = (System.nanoTime() - t0) / 1e9;
                for (TFloat32[] b : batches) { b[0].close(); b[1].close(); }

                List<TFloat32> thousands = new ArrayList<>();
                for (int i = 0; i < 10; i++) thousands.add(images(testX, i * 1000, 1000));
                for (TFloat32 x : thousands) net.predict(s, x);
                t0 = System.nanoTime();
                for (int r = 0; r < 2; r++) for (TFloat32 x : thousands) net.predict(s, x);
                double inf1000 = 20000 / ((System.nanoTime() - t0) / 1e9);
                for (TFloat32 x : thousands) x.close();
                List<TFloat32> singles = new ArrayList<>();
                for (int i = 0; i < 1000; i++) singles.add(images(testX, i, 1));
                int[] next = {0};
                Runnable single = () -> net.predict(s, singles.get(next[0]++ % singles.size()));
                InferCompare.rate(single, 1, 1.0);
                double inf1 = InferCompare.rate(single, 1, 2.0);
                for (TFloat32 x : singles) x.close();
                long rssKb = -1;
                for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (l.startsWith("VmHWM:")) rssKb = Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
                double ips = steps * BATCH / trainSec;
                System.out.println(String.format(Locale.ROOT,
                        "{\"impl\": \"tensorflow %s (TensorFlow Java 1.1.0, graph mode)\", \"threads\": %d, \"inter_op_threads\": %d, \"steps\": %d, \"train_images_per_s\": %.1f, \"epoch_s\": %.2f, "
                                + "\"infer_1000_images_per_s\": %.1f, \"infer_1_images_per_s\": %.1f, \"peak_rss_mb\": %.1f, \"loss_diff\": %.3g, \"max_abs_diff\": %.3g}",
                        TensorFlow.version(), threads, interOp, steps, ips, 60000 / ips, inf1000, inf1, rssKb / 1024.0, maxDiff, pDiff));
            }
        }
    }

    /** The tutorial network as a graph: NHWC input, HWIO kernels (Keras' layout, and ours), softmax cross-entropy, Adam. */
    private static final class Net {
        final Placeholder<TFloat32> x, y;
        final Operand<TFloat32> probs, loss;
        final Op minimize;
        final List<Variable<TFloat32>> vars = new ArrayList<>();
        final List<Placeholder<TFloat32>> feeds = new ArrayList<>();
        final List<Op> assigns = new ArrayList<>();
        static final long[][] SHAPES = {{5, 5, 1, 32}, {32}, {5, 5, 32, 64}, {64}, {1024, 1000}, {1000}, {1000, 10}, {10}};

        Net(Graph g, float[] init) {
            Ops tf = Ops.create(g);
            int off = 0;
            for (long[] shape : SHAPES) {
                int n = 1;
                for (long d : shape) n *= (int) d;
                float[] part = java.util.Arrays.copyOfRange(init, off, off + n);
                off += n;
                Variable<TFloat32> v = tf.variable(tf.constant(Shape.of(shape), DataBuffers.of(part, true, false)));
                Placeholder<TFloat32> p = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(shape)));
                vars.add(v);
                feeds.add(p);
                assigns.add(tf.assign(v, p));
            }
            if (off != init.length) throw new IllegalStateException("parameter count: ours " + init.length + ", the graph's " + off);
            x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 28, 28, 1)));
            y = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 10)));
            List<Long> one = List.of(1L, 1L, 1L, 1L);
            Operand<TFloat32> h = tf.nn.relu(tf.nn.biasAdd(tf.nn.conv2d(x, vars.get(0), one, "VALID"), vars.get(1)));
            h = tf.nn.maxPool(h, tf.constant(new int[] {1, 2, 2, 1}), tf.constant(new int[] {1, 2, 2, 1}), "VALID");
            h = tf.nn.relu(tf.nn.biasAdd(tf.nn.conv2d(h, vars.get(2), one, "VALID"), vars.get(3)));
            h = tf.nn.maxPool(h, tf.constant(new int[] {1, 2, 2, 1}), tf.constant(new int[] {1, 2, 2, 1}), "VALID");
            h = tf.reshape(h, tf.constant(new int[] {-1, 1024}));
            h = tf.nn.relu(tf.math.add(tf.linalg.matMul(h, vars.get(4)), vars.get(5)));
            Operand<TFloat32> logits = tf.math.add(tf.linalg.matMul(h, vars.get(6)), vars.get(7));
            probs = tf.nn.softmax(logits);
            loss = tf.math.mean(tf.nn.softmaxCrossEntropyWithLogits(logits, y).loss(), tf.constant(0));
            minimize = adam(g, tf, loss, vars);
        }

        /**
         * Adam with Keras' (and panama-cnn's) defaults, learning rate 1e-3, betas 0.9 / 0.999, epsilon 1e-7: the
         * gradients from {@code tensorflow-framework}'s {@code Optimizer.computeGradients}, each applied by TensorFlow's
         * fused {@code ApplyAdam} kernel. Not {@code Adam.minimize}: in tensorflow-framework 1.1.0 its update of the
         * beta powers ({@code Adam.finish}) has no control dependency on the {@code ApplyAdam} ops that read them, so
         * a step may use {@code beta^(t+1)} instead of {@code beta^t}; measured here, the first step moved the
         * weights by 0.74x the learning rate instead of 1x, and the losses varied from run to run. Here the powers
         * move only after every variable is updated, and no variable is updated before every gradient is computed.
         */
        static Op adam(Graph g, Ops tf, Operand<TFloat32> loss, List<Variable<TFloat32>> vars) {
            float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-7f;
            List<Optimizer.GradAndVar<?>> grads = new Adam(g, lr, b1, b2, eps).computeGradients(loss);
            Variable<TFloat32> b1Power = tf.variable(tf.constant(b1)), b2Power = tf.variable(tf.constant(b2));
            List<Op> updates = new ArrayList<>(), gradOps = new ArrayList<>();
            for (Optimizer.GradAndVar<?> gv : grads) gradOps.add(tf.identity(gv.getGradient()));
            // every update waits for every gradient: the variables are updated in place, and a gradient still to be
            // computed may read one (measured: with 2 inter-op threads, step 2's loss differed by 1.7e-3 without this)
            Ops afterGrads = tf.withControlDependencies(gradOps);
            for (Variable<TFloat32> v : vars) {
                Output<TFloat32> grad = null;
                for (Optimizer.GradAndVar<?> gv : grads) {
                    if (gv.getVariable().op().name().equals(v.op().name())) grad = gv.getGradient().expect(TFloat32.class);
                }
                if (grad == null) throw new IllegalStateException("no gradient for " + v.op().name());
                Operand<TFloat32> zeros = tf.zeros(tf.constant(v.shape().asArray()), TFloat32.class);
                Variable<TFloat32> m = tf.variable(zeros), s = tf.variable(zeros);
                updates.add(afterGrads.train.applyAdam(v, m, s, b1Power, b2Power, tf.constant(lr), tf.constant(b1), tf.constant(b2), tf.constant(eps), grad));
            }
            Ops after = tf.withControlDependencies(updates);
            Op p1 = after.assign(b1Power, after.math.mul(b1Power, after.constant(b1)));
            Op p2 = after.assign(b2Power, after.math.mul(b2Power, after.constant(b2)));
            return tf.withControlDependencies(List.of(p1, p2)).noOp();
        }

        float step(Session s, TFloat32[] b) {
            try (Result r = s.runner().feed(x, b[0]).feed(y, b[1]).addTarget(minimize).fetch(loss).run()) {
                return ((TFloat32) r.get(0)).getFloat();
            }
        }

        float[] predict(Session s, TFloat32 in) {
            try (Result r = s.runner().feed(x, in).fetch(probs).run()) {
                TFloat32 p = (TFloat32) r.get(0);
                float[] out = new float[(int) p.shape().size()];
                p.copyTo(DataBuffers.of(out, false, false));
                return out;
            }
        }

        float[] read(Session s) {
            Session.Runner run = s.runner();
            for (Variable<TFloat32> v : vars) run.fetch(v);
            List<float[]> parts = new ArrayList<>();
            int total = 0;
            try (Result r = run.run()) {
                for (int i = 0; i < vars.size(); i++) {
                    TFloat32 t = (TFloat32) r.get(i);
                    float[] a = new float[(int) t.shape().size()];
                    t.copyTo(DataBuffers.of(a, false, false));
                    parts.add(a);
                    total += a.length;
                }
            }
            float[] all = new float[total];
            int off = 0;
            for (float[] a : parts) { System.arraycopy(a, 0, all, off, a.length); off += a.length; }
            return all;
        }

        void write(Session s, float[] params) {
            Session.Runner run = s.runner();
            List<TFloat32> made = new ArrayList<>();
            int off = 0;
            for (int i = 0; i < vars.size(); i++) {
                long[] shape = SHAPES[i];
                int n = 1;
                for (long d : shape) n *= (int) d;
                TFloat32 t = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(java.util.Arrays.copyOfRange(params, off, off + n), true, false));
                off += n;
                made.add(t);
                run.feed(feeds.get(i), t).addTarget(assigns.get(i));
            }
            run.run().close();
            for (TFloat32 t : made) t.close();
        }
    }

    static TFloat32[] batch(float[] x, float[] y, int from) {
        return new TFloat32[] {images(x, from, BATCH),
                TFloat32.tensorOf(Shape.of(BATCH, 10), DataBuffers.of(java.util.Arrays.copyOfRange(y, from * 10, (from + BATCH) * 10), true, false))};
    }

    static TFloat32 images(float[] x, int from, int n) {
        return TFloat32.tensorOf(Shape.of(n, 28, 28, 1), DataBuffers.of(java.util.Arrays.copyOfRange(x, from * 784, (from + n) * 784), true, false));
    }
}
