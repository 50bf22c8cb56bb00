package dev.panamacnn.nn;

import dev.panamacnn.activations.Activation;

import dev.panamacnn.tensor.Shape;
import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference checks of every layer's backward pass: for L = sum(out * R) with random R, the analytic
 * gradients w.r.t. inputs and parameters must match central differences of the forward pass.
 */
class GradientCheckTest {

    static Stream<Arguments> layers() {
        return Stream.of(
                Arguments.of("conv 3x3 relu", (java.util.function.Supplier<Layer>) () -> new Conv2D(4, 3, 3, Activation.RELU), Shape.of(7, 6, 2)),
                Arguments.of("conv 5x5 linear", (java.util.function.Supplier<Layer>) () -> new Conv2D(3, 5, 5, Activation.LINEAR), Shape.of(9, 9, 1)),
                Arguments.of("conv 2x3 stride 2 tanh", (java.util.function.Supplier<Layer>) () -> new Conv2D(5, 2, 3, 2, 2, Activation.TANH, null), Shape.of(8, 9, 3)),
                Arguments.of("conv sigmoid", (java.util.function.Supplier<Layer>) () -> new Conv2D(2, 3, 3, Activation.SIGMOID), Shape.of(5, 5, 2)),
                Arguments.of("maxpool 2x2", (java.util.function.Supplier<Layer>) () -> new MaxPool2D(2, 2), Shape.of(6, 8, 3)),
                Arguments.of("maxpool 3x3 stride 2 (overlapping)", (java.util.function.Supplier<Layer>) () -> new MaxPool2D(3, 3, 2, 2), Shape.of(7, 9, 2)),
                Arguments.of("dense relu", (java.util.function.Supplier<Layer>) () -> new Dense(7, Activation.RELU), Shape.of(11)),
                Arguments.of("dense linear", (java.util.function.Supplier<Layer>) () -> new Dense(5, Activation.LINEAR), Shape.of(33)),
                Arguments.of("dense softmax", (java.util.function.Supplier<Layer>) () -> new Dense(6, Activation.SOFTMAX), Shape.of(9)),
                Arguments.of("dense sigmoid", (java.util.function.Supplier<Layer>) () -> new Dense(4, Activation.SIGMOID), Shape.of(5)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void backwardMatchesFiniteDifferences(String name, java.util.function.Supplier<Layer> make, Shape input) {
        for (int threads : new int[] {1, 3}) {
            try (LayerHarness h = new LayerHarness(make.get(), input, 3, threads, 7)) {
                Rng r = new Rng(99);
                float[] upstream = new float[h.n * h.outSize];
                for (int i = 0; i < upstream.length; i++) upstream[i] = (float) r.nextGaussian();
                h.forward();
                h.backward(upstream, true);
                float[] dIn = LayerHarness.get(h.dIn, h.n * h.inSize);
                float[] dParams = LayerHarness.get(h.grads, h.paramCount);
                check(name + " input", h, h.in, h.n * h.inSize, dIn, upstream, r);
                if (h.paramCount > 0) check(name + " params", h, h.params, h.paramCount, dParams, upstream, r);
            }
        }
    }

    private static double loss(LayerHarness h, float[] upstream) {
        h.forward();
        double s = 0;
        for (int i = 0; i < upstream.length; i++) s += (double) h.out.getAtIndex(LayerHarness.F, i) * upstream[i];
        return s;
    }

    private static void check(String what, LayerHarness h, MemorySegment x, int size, float[] analytic, float[] upstream, Rng r) {
        double eps = 1e-2;
        int checks = Math.min(size, 40);
        for (int c = 0; c < checks; c++) {
            int i = size <= 40 ? c : r.nextInt(size);
            float orig = x.getAtIndex(LayerHarness.F, i);
            x.setAtIndex(LayerHarness.F, i, (float) (orig + eps));
            double lp = loss(h, upstream);
            x.setAtIndex(LayerHarness.F, i, (float) (orig - eps));
            double lm = loss(h, upstream);
            x.setAtIndex(LayerHarness.F, i, orig);
            double numeric = (lp - lm) / (2 * eps);
            double err = Math.abs(numeric - analytic[i]);
            assertTrue(err <= 2e-3 + 2e-2 * Math.abs(numeric),
                    what + "[" + i + "]: analytic " + analytic[i] + " vs numeric " + numeric);
        }
    }
}
