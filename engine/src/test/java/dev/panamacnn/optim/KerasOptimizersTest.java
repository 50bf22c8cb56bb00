package dev.panamacnn.optim;

import dev.panamacnn.ops.Exec;
import dev.panamacnn.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The optimizers against Keras' published update rules, written out here in double precision one parameter at a time
 * (the formulas of Keras 3's {@code keras/src/optimizers/*.py} update_step and of its documentation), over a few steps
 * with changing gradients; and the schedules against the formulas of {@code keras.optimizers.schedules}.
 */
class KerasOptimizersTest {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    static final float[] P0 = {0.5f, -1.25f, 2f, 0.1f, -0.3f};

    static float[] grad(int step) {
        float[] g = new float[P0.length];
        for (int i = 0; i < g.length; i++) g[i] = (float) Math.sin(1.3 * (i + 1) + 0.7 * step) * (i + 1) * 0.4f;
        return g;
    }

    /** Runs {@code steps} updates of {@code opt} from {@link #P0}; parameters after. */
    static float[] run(Optimizer opt, int steps, long[] trainable) {
        try (Arena a = Arena.ofConfined(); Exec ex = new Exec(2, a)) {
            MemorySegment p = Tensor.allocateFloats(a, P0.length), g = Tensor.allocateFloats(a, P0.length);
            MemorySegment.copy(P0, 0, p, F, 0, P0.length);
            opt.build(a, P0.length);
            if (trainable != null) opt.trainable(trainable);
            for (int s = 0; s < steps; s++) {
                MemorySegment.copy(grad(s), 0, g, F, 0, P0.length);
                opt.update(ex, p, g, P0.length);
            }
            return p.toArray(F);
        }
    }

    static void close(double[] expected, float[] got) {
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], got[i], 1e-5 * Math.max(1, Math.abs(expected[i])), "parameter " + i);
    }

    @Test
    void sgdNesterov() {
        double lr = 0.05, mu = 0.9;
        double[] p = toDouble(P0), v = new double[P0.length];
        for (int s = 0; s < 4; s++) {
            float[] g = grad(s);
            for (int i = 0; i < p.length; i++) {
                v[i] = mu * v[i] - lr * g[i];          // m = -lr g + m momentum
                p[i] += mu * v[i] - lr * g[i];         // nesterov: p += -lr g + m momentum
            }
        }
        close(p, run(new SGD(0.05f, null, 0.9f, true), 4, null));
    }

    @Test
    void rmspropPlainCenteredAndWithMomentum() {
        for (boolean centered : new boolean[] {false, true}) {
            for (double mu : new double[] {0, 0.5}) {
                double lr = 0.01, rho = 0.9, eps = 1e-7;
                double[] p = toDouble(P0), ms = new double[p.length], mg = new double[p.length], mom = new double[p.length];
                for (int s = 0; s < 4; s++) {
                    float[] g = grad(s);
                    for (int i = 0; i < p.length; i++) {
                        ms[i] = rho * ms[i] + (1 - rho) * g[i] * g[i];
                        double den = ms[i];
                        if (centered) { mg[i] = rho * mg[i] + (1 - rho) * g[i]; den -= mg[i] * mg[i]; }
                        double inc = lr * g[i] / Math.sqrt(den + eps);
                        if (mu > 0) { mom[i] = mu * mom[i] + inc; inc = mom[i]; }
                        p[i] -= inc;
                    }
                }
                close(p, run(new RMSprop(0.01f, null, 0.9f, (float) mu, 1e-7f, centered), 4, null));
            }
        }
    }

    static double[] adam(boolean amsgrad, double wd, int steps) {
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        double[] p = toDouble(P0), m = new double[p.length], v = new double[p.length], vh = new double[p.length];
        for (int s = 0; s < steps; s++) {
            float[] g = grad(s);
            int t = s + 1;
            double alpha = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
            for (int i = 0; i < p.length; i++) {
                p[i] -= p[i] * wd * lr;                // AdamW: decoupled decay first (Keras' _apply_weight_decay)
                m[i] += (g[i] - m[i]) * (1 - b1);
                v[i] += (g[i] * (double) g[i] - v[i]) * (1 - b2);
                double vv = v[i];
                if (amsgrad) { vh[i] = Math.max(vh[i], v[i]); vv = vh[i]; }
                p[i] -= alpha * m[i] / (Math.sqrt(vv) + eps);
            }
        }
        return p;
    }

    @Test
    void adamAmsgradAndAdamW() {
        close(adam(false, 0, 5), run(new Adam(0.01f, null, 0.9f, 0.999f, 1e-7f, false), 5, null));
        close(adam(true, 0, 5), run(new Adam(0.01f, null, 0.9f, 0.999f, 1e-7f, true), 5, null));
        close(adam(false, 0.004, 5), run(new AdamW(0.01f, 0.004f), 5, null));
        close(adam(true, 0.1, 5), run(new AdamW(0.01f, null, 0.1f, 0.9f, 0.999f, 1e-7f, true), 5, null));
    }

    @Test
    void nonTrainableParametersAreNeverTouched() {
        float[] got = run(new AdamW(0.01f, 0.5f), 3, new long[] {0, 2, 4, 5});   // parameters 2 and 3 frozen
        assertEquals(P0[2], got[2], 0f);
        assertEquals(P0[3], got[3], 0f);
        double[] all = adam(false, 0.5, 3);
        assertEquals(all[0], got[0], 1e-5);
        assertEquals(all[4], got[4], 1e-5);
    }

    @Test
    void schedules() {
        var exp = new LearningRateSchedule.ExponentialDecay(0.1, 10, 0.5, false);
        assertEquals(0.1 * Math.pow(0.5, 0.5), exp.at(5), 1e-12);
        assertEquals(0.1 * 0.5, new LearningRateSchedule.ExponentialDecay(0.1, 10, 0.5, true).at(15), 1e-12);
        var cos = new LearningRateSchedule.CosineDecay(0.1, 100, 0.1);
        assertEquals(0.1, cos.at(0), 1e-12);
        assertEquals(0.1 * (0.9 * 0.5 * (1 + Math.cos(Math.PI * 0.25)) + 0.1), cos.at(25), 1e-12);
        assertEquals(0.01, cos.at(1000), 1e-12);   // alpha * initial after decay_steps
        var pw = new LearningRateSchedule.PiecewiseConstantDecay(List.of(100L, 110L), List.of(1.0, 0.5, 0.1));
        assertEquals(1.0, pw.at(100), 0);
        assertEquals(0.5, pw.at(101), 0);
        assertEquals(0.5, pw.at(110), 0);
        assertEquals(0.1, pw.at(111), 0);
        // SGD follows the schedule at the step count before each update
        double[] p = toDouble(P0);
        for (int s = 0; s < 3; s++) { float[] g = grad(s); for (int i = 0; i < p.length; i++) p[i] -= exp.at(s) * g[i]; }
        close(p, run(new SGD(1f, exp, 0f, false), 3, null));
        var scheduled = new SGD(1f, exp, 0f, false);
        assertThrows(IllegalStateException.class, () -> scheduled.setLearningRate(0.5f));
    }

    @Test
    void configsRoundTripThroughTheRegistry() {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (Optimizer o : List.of(new SGD(0.02f, null, 0.8f, true), new RMSprop(0.003f, null, 0.8f, 0.2f, 1e-6f, true),
                new Adam(0.002f, null, 0.8f, 0.99f, 1e-6f, true), new AdamW(0.002f, 0.01f),
                new Adam(1f, new LearningRateSchedule.CosineDecay(0.01, 50, 0.1), 0.9f, 0.999f, 1e-7f, false))) {
            var back = OptimizerRegistry.fromConfig(json.valueToTree(o.config()));
            assertEquals(o.getClass(), back.getClass());
            assertEquals(json.valueToTree(o.config()), json.valueToTree(back.config()), o.name());
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
