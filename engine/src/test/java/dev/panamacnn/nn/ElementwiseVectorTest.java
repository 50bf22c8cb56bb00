package dev.panamacnn.nn;

import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The element-wise layers' vector paths give the scalar reference's bits, forward and backward, on random shapes with tails. */
class ElementwiseVectorTest {
    @Test
    void vectorPathsMatchTheScalarReference() {
        List<Supplier<Layer>> layers = List.of(ReLU::new, () -> new ReLU(0.5f, 0.1f, -0.2f), () -> new ReLU(null, 0.2f, 0.3f), LeakyReLU::new,
                () -> new Rescaling(1f / 255, -0.5f));
        Rng r = new Rng(8);
        boolean saved = ElementwiseLayer.VECTOR;
        try {
            for (Supplier<Layer> make : layers) {
                for (int t = 0; t < 3; t++) {
                    int per = 1 + r.nextInt(100), n = 1 + r.nextInt(9);
                    float[][] out = new float[2][], din = new float[2][];
                    float[] up = new float[n * per];
                    for (int i = 0; i < up.length; i++) up[i] = (float) r.nextGaussian();
                    for (int v = 0; v < 2; v++) {
                        ElementwiseLayer.VECTOR = v == 1;
                        try (LayerHarness h = new LayerHarness(make.get(), Shape.of(per), n, 2, 5 + t)) {
                            h.forward();
                            out[v] = LayerHarness.get(h.out, n * per);
                            h.backward(up, true);
                            din[v] = LayerHarness.get(h.dIn, n * per);
                        }
                    }
                    String what = make.get().kerasClassName() + " per " + per + " n " + n;
                    assertArrayEquals(out[0], out[1], 0f, what + " forward");
                    assertArrayEquals(din[0], din[1], 0f, what + " backward");
                }
            }
        } finally {
            ElementwiseLayer.VECTOR = saved;
        }
    }
}
