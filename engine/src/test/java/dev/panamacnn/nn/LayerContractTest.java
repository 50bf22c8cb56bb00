package dev.panamacnn.nn;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.tensor.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.Supplier;
import java.util.stream.Stream;

/** {@link LayerContract#check} for every layer type and the configurations that take different code paths. */
public class LayerContractTest {
    /** The layers and inputs every backend's contract test runs (the OpenCL backend's test reads this list too). */
    public static Stream<Arguments> layers() {
        return Stream.of(
                of("conv 3x3 relu", () -> new Conv2D(4, 3, 3, Activation.RELU), Shape.of(7, 6, 2)),
                of("conv 5x5 linear, one channel (direct path)", () -> new Conv2D(3, 5, 5, Activation.LINEAR), Shape.of(9, 9, 1)),
                of("conv 2x3 stride 2 tanh", () -> new Conv2D(5, 2, 3, 2, 2, Activation.TANH, null), Shape.of(8, 9, 3)),
                of("conv sigmoid", () -> new Conv2D(2, 3, 3, Activation.SIGMOID), Shape.of(5, 5, 2)),
                of("conv 32 channels in, 16-pixel rows (input gradient scattered into the image)", () -> new Conv2D(8, 3, 3, Activation.LINEAR), Shape.of(6, 18, 32)),
                of("maxpool 2x2", () -> new MaxPool2D(2, 2), Shape.of(6, 8, 3)),
                of("maxpool 3x3 stride 2 (overlapping)", () -> new MaxPool2D(3, 3, 2, 2), Shape.of(7, 9, 2)),
                of("dense relu", () -> new Dense(7, Activation.RELU), Shape.of(11)),
                of("dense linear", () -> new Dense(5, Activation.LINEAR), Shape.of(33)),
                of("dense softmax", () -> new Dense(6, Activation.SOFTMAX), Shape.of(9)),
                of("dense sigmoid", () -> new Dense(4, Activation.SIGMOID), Shape.of(5)),
                of("flatten", Flatten::new, Shape.of(3, 4, 2)),
                of("dropout 0.3", () -> new Dropout(0.3f, 7), Shape.of(5, 4, 3)),
                of("dropout 0.5, seeded by its name", () -> new Dropout(0.5f), Shape.of(17)),
                of("input layer", () -> new InputLayer(Shape.of(4, 3)), Shape.of(4, 3)));
    }

    private static Arguments of(String name, Supplier<Layer> make, Shape input) { return Arguments.of(name, make, input); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void contract(String name, Supplier<Layer> make, Shape input) {
        LayerContract.check(name, make, input);
    }
}
