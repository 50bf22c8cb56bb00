package dev.panamacnn.gpu.ops;

import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Dropout;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.MaxPool2D;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/** The OpenCL backend's op for each layer type: one registration line per layer. */
public final class OpenClOps {
    private OpenClOps() {}

    private static final Map<Class<? extends Layer>, BiFunction<Layer, ClBinding, ClOp>> OPS = new LinkedHashMap<>();

    static {
        register(Conv2D.class, (l, b) -> new Conv2DOp((Conv2D) l, b));
        register(MaxPool2D.class, (l, b) -> new MaxPool2DOp((MaxPool2D) l, b));
        register(Dense.class, (l, b) -> new DenseOp((Dense) l, b));
        register(Dropout.class, (l, b) -> new DropoutOp((Dropout) l, b));
        register(dev.panamacnn.nn.AveragePooling2D.class, (l, b) -> new PoolOp((dev.panamacnn.nn.AveragePooling2D) l, b));
        register(dev.panamacnn.nn.GlobalAveragePooling2D.class, (l, b) -> new PoolOp((dev.panamacnn.nn.GlobalPooling2D) l, b));
        register(dev.panamacnn.nn.GlobalMaxPooling2D.class, (l, b) -> new PoolOp((dev.panamacnn.nn.GlobalPooling2D) l, b));
        register(dev.panamacnn.nn.BatchNormalization.class, (l, b) -> new BatchNormOp((dev.panamacnn.nn.BatchNormalization) l, b));
        register(dev.panamacnn.nn.ActivationLayer.class, ElementwiseOp::new);
        register(dev.panamacnn.nn.ReLU.class, ElementwiseOp::new);
        register(dev.panamacnn.nn.LeakyReLU.class, ElementwiseOp::new);
        register(dev.panamacnn.nn.Rescaling.class, ElementwiseOp::new);
    }

    public static synchronized <L extends Layer> void register(Class<L> type, BiFunction<Layer, ClBinding, ClOp> make) {
        if (OPS.putIfAbsent(type, make) != null) throw new IllegalStateException(type.getSimpleName() + " has two OpenCL ops");
    }

    /**
     * The op of {@code layer} bound to {@code b}.
     *
     * @throws IllegalArgumentException naming the layer when the backend has no op for its type
     */
    public static synchronized ClOp bind(Layer layer, ClBinding b) {
        BiFunction<Layer, ClBinding, ClOp> make = OPS.get(layer.getClass());
        if (make == null) {
            throw new IllegalArgumentException("the OpenCL backend has no kernels for " + layer.kerasClassName() + " (" + layer.name() + ")");
        }
        return make.apply(layer, b);
    }
}
