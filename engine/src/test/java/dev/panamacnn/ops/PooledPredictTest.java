package dev.panamacnn.ops;

import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fused convolution + ReLU + 2 x 2 max pooling without window indices (predict: the max first, then bias and
 * ReLU once) gives the same floats, bit for bit, as the training form (bias and ReLU on each of the four inputs, then
 * the comparisons), on random shapes with many ties and exact zeros.
 */
class PooledPredictTest {
    @Test void predictFormGivesTheTrainingFormsBits() {
        Rng r = new Rng(11);
        // filters: whole 16-lane vectors, a ragged panel, a scalar tail; sides: tile multiples and ragged rows
        int[][] shapes = {{32, 28}, {48, 20}, {20, 26}, {8, 16}, {64, 12}};
        try (Arena arena = Arena.ofConfined()) {
            Gemm.Scratch s = new Gemm.Scratch(arena);
            for (int[] shape : shapes) {
                int filters = shape[0], side = shape[1], k = 25, oh = side - 4, ow = side - 4;
                for (int trial = 0; trial < 3; trial++) {
                    float[] img = new float[side * side];
                    // coarse values (multiples of 1/8): many equal sums, so ties and exact zeros in the pooling windows
                    for (int i = 0; i < img.length; i++) img[i] = (r.nextInt(5) - 1) / 8f;
                    MemorySegment params = arena.allocate((long) (k + 1) * filters * 4, 64);
                    for (long i = 0; i < (long) (k + 1) * filters; i++) {
                        params.setAtIndex(ValueLayout.JAVA_FLOAT, i, trial == 0 ? (r.nextInt(3) - 1) / 4f : r.nextFloat() - 0.5f);
                    }
                    MemorySegment packed = arena.allocate((long) Gemm.packedSize(k, filters) * 4, 64);
                    Gemm.packB(false, k, filters, params, 0, filters, packed);
                    long pooled = (long) (oh / 2) * (ow / 2) * filters;
                    MemorySegment rows = arena.allocate(2L * ow * filters * 4, 64);
                    MemorySegment train = arena.allocate(pooled * 4, 64), predict = arena.allocate(pooled * 4, 64);
                    MemorySegment argmax = arena.allocate(pooled, 64);
                    DirectConv.forwardPooled(img, side, 5, 5, 1, oh, ow, packed, filters, params, (long) k * filters, true, rows, train, 0, argmax, 0, s);
                    DirectConv.forwardPooled(img, side, 5, 5, 1, oh, ow, packed, filters, params, (long) k * filters, true, rows, predict, 0, null, 0, s);
                    for (long i = 0; i < pooled; i++) {
                        int a = Float.floatToRawIntBits(train.getAtIndex(ValueLayout.JAVA_FLOAT, i));
                        int b = Float.floatToRawIntBits(predict.getAtIndex(ValueLayout.JAVA_FLOAT, i));
                        assertEquals(a, b, "filters=" + filters + " side=" + side + " trial=" + trial + " element " + i);
                    }
                }
            }
        }
    }
}
