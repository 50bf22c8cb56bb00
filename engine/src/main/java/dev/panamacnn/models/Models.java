package dev.panamacnn.models;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Flatten;
import dev.panamacnn.nn.MaxPool2D;
import dev.panamacnn.tensor.Shape;

/** Ready-made architectures. */
public final class Models {
    private Models() {}

    /**
     * The Keras MNIST tutorial's network (1,087,106 parameters):
     * {@code Conv2D(32, 5x5, relu) -> MaxPool(2x2) -> Conv2D(64, 5x5, relu) -> MaxPool(2x2) -> Flatten
     * -> Dense(1000, relu) -> Dense(10, softmax)} on {@code (28, 28, 1)} inputs.
     */
    public static Sequential kerasMnistTutorial() {
        return new Sequential(
                new Conv2D(32, 5, 5, Activation.RELU, Shape.of(28, 28, 1)),
                new MaxPool2D(2, 2),
                new Conv2D(64, 5, 5, Activation.RELU),
                new MaxPool2D(2, 2),
                new Flatten(),
                new Dense(1000, Activation.RELU),
                new Dense(10, Activation.SOFTMAX));
    }
}
