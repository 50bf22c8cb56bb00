package dev.panamacnn.tornado;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.LayerContract;
import dev.panamacnn.tensor.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every layer of the engine's contract test ({@code LayerContractTest.layers()}) trains on the TornadoVM backend as
 * on the CPU engine ({@link LayerContract#checkBackend}), on TornadoVM's first device (PoCL here), with every kernel
 * compiled by TornadoVM (bail-out to Java is off). A softmax before the last layer is refused, naming the layer, and so
 * is every layer or setting the backend has no kernels for yet (the Keras layers beyond the tutorial).
 */
class TornadoLayerContractTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.panamacnn.nn.LayerContractTest#layers")
    void trainsAsOnTheCpu(String name, Supplier<Layer> make, Shape input) {
        boolean runs = dev.panamacnn.nn.LayerContractTest.tutorialCase(name) || name.equals("reshape");
        if (!runs) {
            var e = assertThrows(IllegalArgumentException.class, () -> LayerContract.checkBackend(name, make, input, m -> TornadoBackend.create(m, TornadoDevices.pick(null), 8), 2e-4));
            assertTrue(e.getMessage().contains("the TornadoVM backend"), e.getMessage());
            return;
        }
        if (make.get().activation() == Activation.SOFTMAX) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> LayerContract.checkBackend(name, make, input, m -> TornadoBackend.create(m, TornadoDevices.pick(null), 8), 2e-4));
            assertTrue(e.getMessage().contains("softmax only on the last (Dense) layer, not on dense"), e.getMessage());
            return;
        }
        LayerContract.checkBackend(name, make, input, m -> TornadoBackend.create(m, TornadoDevices.pick(null), 8), 2e-4);
    }
}
