package dev.panamacnn.serve;

import dev.panamacnn.models.Sequential;
import dev.panamacnn.tensor.Shape;

/** A model the server answers for: its name, the model, its batcher, and what {@code GET /v1/models/{name}} says. */
record ServedModel(String name, Sequential model, Batcher batcher, String backend) {
    Shape inputShape() { return model.inputShape(); }
    int classes() { return model.outputShape().size(); }
    /** Whether image bodies apply: MNIST-style 28 x 28 x 1 inputs. */
    boolean takesDigitImages() { return inputShape().equals(Shape.of(28, 28, 1)); }
}
