package dev.panamacnn.gpu;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.LayerContract;
import dev.panamacnn.opencl.ClDevice;
import dev.panamacnn.tensor.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every layer of the engine's contract test ({@code LayerContractTest.layers()}) trains on the OpenCL backend as on
 * the CPU engine ({@link LayerContract#checkBackend}), on whatever OpenCL device is visible (PoCL in CI). A softmax
 * before the last layer is refused, naming the layer: the backend fuses softmax only with the loss. What it has no
 * kernels for (gelu; swish inside a Conv2D or Dense) is refused with a message naming the backend.
 */
class OpenClLayerContractTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.panamacnn.nn.LayerContractTest#layers")
    void trainsAsOnTheCpu(String name, Supplier<Layer> make, Shape input) {
        ClDevice device = OpenClTestDevice.get();
        // what the OpenCL backend has no kernels for: gelu, and swish inside a layer (their derivative needs the pre-activation)
        boolean runs = !java.util.Set.of("conv gelu (kept pre-activation)", "conv swish same", "dense gelu", "dense swish without bias", "activation gelu").contains(name);
        if (!runs) {
            var e = assertThrows(IllegalArgumentException.class, () -> LayerContract.checkBackend(name, make, input, m -> OpenClAccelerator.create(m, device, 8), 2e-4));
            assertTrue(e.getMessage().contains("the OpenCL backend"), e.getMessage());
            return;
        }
        if (make.get().activation() == Activation.SOFTMAX) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> LayerContract.checkBackend(name, make, input, m -> OpenClAccelerator.create(m, device, 8), 2e-4));
            assertTrue(e.getMessage().contains("softmax only on the last (Dense) layer, not on "), e.getMessage());
            return;
        }
        LayerContract.checkBackend(name, make, input, m -> OpenClAccelerator.create(m, device, 8), 2e-4);
    }
}
