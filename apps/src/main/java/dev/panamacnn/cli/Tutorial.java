package dev.panamacnn.cli;

import dev.panamacnn.nn.Activation;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Flatten;
import dev.panamacnn.nn.MaxPool2D;
import dev.panamacnn.nn.Sequential;
import dev.panamacnn.tensor.Shape;

/** The Keras tutorial's network. */
public final class Tutorial {
    private Tutorial() {}

    public static Sequential model() {
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
