package dev.panamacnn.tornado.ops;

import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Dropout;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.MaxPool2D;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/** The TornadoVM backend's op for each layer type: one registration line per layer. */
public final class TornadoOps {
    private TornadoOps() {}

    private static final Map<Class<? extends Layer>, BiFunction<Layer, TornadoBinding, TornadoOp>> OPS = new LinkedHashMap<>();

    static {
        register(Conv2D.class, (l, b) -> new Conv2DOp((Conv2D) l, b));
        register(MaxPool2D.class, (l, b) -> new MaxPool2DOp((MaxPool2D) l, b));
        register(Dense.class, (l, b) -> new DenseOp((Dense) l, b));
        register(Dropout.class, (l, b) -> new DropoutOp((Dropout) l, b));
    }

    public static synchronized <L extends Layer> void register(Class<L> type, BiFunction<Layer, TornadoBinding, TornadoOp> make) {
        if (OPS.putIfAbsent(type, make) != null) throw new IllegalStateException(type.getSimpleName() + " has two TornadoVM ops");
    }

    /**
     * The op of {@code layer} bound to {@code b}.
     *
     * @throws IllegalArgumentException naming the layer when the backend has no op for its type
     */
    public static synchronized TornadoOp bind(Layer layer, TornadoBinding b) {
        BiFunction<Layer, TornadoBinding, TornadoOp> make = OPS.get(layer.getClass());
        if (make == null) {
            throw new IllegalArgumentException("the TornadoVM backend has no kernels for " + layer.kerasClassName() + " (" + layer.name() + ")");
        }
        return make.apply(layer, b);
    }
}
