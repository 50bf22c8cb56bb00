package dev.panamacnn.gpu.ops;

import dev.panamacnn.gpu.KernelLibrary;
import dev.panamacnn.opencl.ClBuffer;
import dev.panamacnn.opencl.ClContext;

/**
 * Where a layer's OpenCL op finds everything, fixed when the backend plans the model: the context and kernel
 * library, the batch capacity, the parameter and gradient buffers (the host layout) and the layer's offset in them,
 * and its activation buffers. {@code dOut} is null in an inference plan; {@code dIn} is null for the first layer.
 *
 * @param last whether this is the last layer (its output gradient is w.r.t. the pre-activation)
 */
public record ClBinding(ClContext ctx, KernelLibrary lib, int capacity, ClBuffer params, ClBuffer grads, long paramOffset,
                        ClBuffer in, ClBuffer out, ClBuffer dOut, ClBuffer dIn, boolean last) {
    public boolean training() { return dOut != null; }
}
