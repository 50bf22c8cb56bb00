package dev.panamacnn.bench;

import dev.panamacnn.data.Dataset;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.data.SyntheticDigits;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.activations.Activation;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Flatten;
import dev.panamacnn.nn.MaxPool2D;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.tensor.Tensor;
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.loss.Metric;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the file-compatibility fixture of {@code engine/src/test/resources/fixtures/}: a small network of the tutorial's layer types
 * trained 6 steps on synthetic digits, saved as a model folder, with a checkpoint taken after step 3 of the same
 * run, and the model's predictions on 4 synthetic test digits as float bit patterns (one per line), so that a
 * later build can prove it still reads what this build wrote. Usage: {@code MakeFixture OUT_DIR}.
 */
public final class MakeFixture {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Path data = Files.createTempDirectory("pcnn-fixture");
        SyntheticDigits.write(data, 768, 4, 11);
        Mnist mnist = Mnist.load(data, false, w -> {});
        Dataset train = mnist.train(), test = mnist.test();
        try (Sequential model = new Sequential(
                new Conv2D(4, 3, 3, Activation.RELU, Shape.of(28, 28, 1)), new MaxPool2D(2, 2),
                new Conv2D(6, 3, 3, Activation.RELU), new MaxPool2D(2, 2), new Flatten(),
                new Dense(16, Activation.RELU), new Dense(10, Activation.SOFTMAX)).seed(3).threads(2)) {
            model.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            model.fit(train, FitOptions.builder().batchSize(128).epochs(1).verbose(false).checkpoint(out.resolve("checkpoint"), 3).build());
            model.save(out.resolve("model"));
            Tensor p = model.predict(test.x());
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < p.shape().size(); i++) {
                lines.add(Integer.toHexString(Float.floatToRawIntBits(p.segment().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i))));
            }
            Files.write(out.resolve("predictions.txt"), lines);
            // the 4 test digits predicted above, and a 1-sample training set so that the folder loads as MNIST
            Files.createDirectories(out.resolve("digits"));
            for (String f : new String[] {Mnist.TEST_IMAGES, Mnist.TEST_LABELS}) Files.copy(data.resolve(f), out.resolve("digits").resolve(f));
            Path one = Files.createTempDirectory("pcnn-fixture-one");
            SyntheticDigits.write(one, 1, 1, 11);
            for (String f : new String[] {Mnist.TRAIN_IMAGES, Mnist.TRAIN_LABELS}) Files.copy(one.resolve(f), out.resolve("digits").resolve(f));
        }
    }
}
