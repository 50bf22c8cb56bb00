package dev.panamacnn.bench;

import dev.panamacnn.data.Dataset;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.models.Models;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.runtime.Rng;

import java.lang.foreign.Arena;

/** What the benchmarks share: the compiled tutorial network and a random MNIST-shaped batch. */
final class Batches {
    private Batches() {}

    /**
     * The model a benchmark runs: the tutorial network, or the Keras model JSON at {@code json} (MNIST-shaped inputs),
     * compiled with Adam and categorical cross-entropy.
     */
    static Sequential model(String json, int threads) throws java.io.IOException {
        if (json == null) return tutorialModel(threads);
        Sequential m = Sequential.fromKerasJson(java.nio.file.Path.of(json)).threads(threads);
        m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        return m;
    }

    static Sequential tutorialModel(int threads) {
        Sequential model = Models.kerasMnistTutorial().seed(1).threads(threads);
        model.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        return model;
    }

    /** {@code batch} images of uniform noise in [0, 1) and random one-hot labels (fixed seed). */
    static Dataset random(Arena arena, int batch) {
        Tensor x = Tensor.allocate(arena, Shape.of(batch, 28, 28, 1)), y = Tensor.allocate(arena, Shape.of(batch, 10));
        Rng r = new Rng(2);
        for (int i = 0; i < x.size(); i++) x.set(i, r.nextFloat());
        for (int i = 0; i < batch; i++) y.set(i * 10L + r.nextInt(10), 1f);
        return new Dataset(x, y);
    }
}
