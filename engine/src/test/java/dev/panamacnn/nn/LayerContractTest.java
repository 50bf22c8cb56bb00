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
                of("input layer", () -> new InputLayer(Shape.of(4, 3)), Shape.of(4, 3)),
                // the Keras layers beyond the tutorial
                of("conv 3x3 same elu", () -> new Conv2D(4, 3, 3, Activation.ELU).padding(Padding.SAME), Shape.of(7, 6, 2)),
                of("conv 3x3 stride 2 same, odd input", () -> new Conv2D(3, 3, 3, 2, 2, Activation.LINEAR, null).padding(Padding.SAME), Shape.of(7, 8, 3)),
                of("conv 4x4 same (uneven padding)", () -> new Conv2D(2, 4, 4, Activation.TANH).padding(Padding.SAME), Shape.of(6, 5, 2)),
                of("conv 5x5 same, one channel (direct path)", () -> new Conv2D(3, 5, 5, Activation.LINEAR).padding(Padding.SAME), Shape.of(9, 9, 1)),
                of("conv same, 32 channels in, 16-pixel rows (scattered input gradient)", () -> new Conv2D(8, 3, 3, Activation.TANH).padding(Padding.SAME), Shape.of(5, 16, 32)),
                of("conv without bias, he_normal", () -> new Conv2D(4, 3, 3, Activation.TANH).useBias(false).kernelInitializer(ParamSpec.Init.HE_NORMAL), Shape.of(6, 6, 2)),
                of("conv gelu (kept pre-activation)", () -> new Conv2D(3, 3, 3, Activation.GELU), Shape.of(6, 5, 2)),
                of("conv swish same", () -> new Conv2D(3, 3, 3, Activation.SWISH).padding(Padding.SAME), Shape.of(5, 5, 3)),
                of("conv elu", () -> new Conv2D(2, 3, 3, Activation.ELU), Shape.of(5, 6, 2)),
                of("conv leaky_relu", () -> new Conv2D(2, 3, 3, Activation.LEAKY_RELU), Shape.of(5, 6, 2)),
                of("dense gelu", () -> new Dense(5, Activation.GELU), Shape.of(9)),
                of("dense swish without bias", () -> new Dense(5, Activation.SWISH).useBias(false), Shape.of(9)),
                of("maxpool 3x3 stride 2 same", () -> new MaxPool2D(3, 3, 2, 2).padding(Padding.SAME), Shape.of(7, 8, 3)),
                of("maxpool 2x2 same, odd input, 17 channels", () -> new MaxPool2D(2, 2).padding(Padding.SAME), Shape.of(5, 7, 17)),
                of("avgpool 2x2", () -> new AveragePooling2D(2, 2), Shape.of(6, 8, 3)),
                of("avgpool 3x3 stride 2 same, 17 channels", () -> new AveragePooling2D(3, 3, 2, 2, Padding.SAME), Shape.of(7, 9, 17)),
                of("global average pooling, 17 channels", GlobalAveragePooling2D::new, Shape.of(5, 4, 17)),
                of("global average pooling keepdims", () -> new GlobalAveragePooling2D(true), Shape.of(3, 4, 5)),
                of("global max pooling", GlobalMaxPooling2D::new, Shape.of(5, 4, 3)),
                of("global max pooling, 17 channels", GlobalMaxPooling2D::new, Shape.of(3, 3, 17)),
                of("batch normalization over channels", BatchNormalization::new, Shape.of(5, 4, 3)),
                of("batch normalization of features", BatchNormalization::new, Shape.of(7)),
                of("batch normalization without center and scale", () -> new BatchNormalization(0.9f, 1e-3f, false, false), Shape.of(4, 3, 2)),
                of("activation relu", () -> new ActivationLayer(Activation.RELU), Shape.of(4, 5, 3)),
                of("activation gelu", () -> new ActivationLayer(Activation.GELU), Shape.of(11)),
                of("activation swish", () -> new ActivationLayer(Activation.SWISH), Shape.of(3, 3, 2)),
                of("activation elu", () -> new ActivationLayer(Activation.ELU), Shape.of(13)),
                of("activation tanh", () -> new ActivationLayer(Activation.TANH), Shape.of(13)),
                of("activation softmax over channels", () -> new ActivationLayer(Activation.SOFTMAX), Shape.of(3, 4)),
                of("softmax layer", ActivationLayer::softmax, Shape.of(6)),
                of("ReLU layer", ReLU::new, Shape.of(4, 3, 2)),
                of("ReLU max_value 0.5, slope 0.1", () -> new ReLU(0.5f, 0.1f, 0f), Shape.of(12)),
                of("LeakyReLU", LeakyReLU::new, Shape.of(4, 3, 2)),
                of("reshape", () -> new Reshape(4, -1), Shape.of(2, 3, 2)),
                of("rescaling", () -> new Rescaling(0.5f, 0.1f), Shape.of(3, 4)));
    }

    /** The cases of the tutorial-era layers, which every backend runs (the device backends refuse the others by name for now). */
    public static final int TUTORIAL_CASES = 15;

    /** Whether case {@code name} is one of the first {@link #TUTORIAL_CASES}. */
    public static boolean tutorialCase(String name) {
        return layers().limit(TUTORIAL_CASES).anyMatch(a -> a.get()[0].equals(name));
    }

    private static Arguments of(String name, Supplier<Layer> make, Shape input) { return Arguments.of(name, make, input); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void contract(String name, Supplier<Layer> make, Shape input) {
        LayerContract.check(name, make, input);
    }
}
