package dev.panamacnn.nn;

/**
 * How one layer runs on one backend: a forward/backward pair bound to its buffers when the backend plans the model
 * (the CPU engine's {@link CpuOp}s, the OpenCL backend's {@code Conv2DOp} and so on carry their layer's name).
 *
 * <p>{@code forward} computes the outputs of samples {@code [0, step.n())} from the inputs. {@code backward} takes
 * the gradient w.r.t. the outputs (w.r.t. the pre-activation for the last layer, whose softmax is fused with the
 * loss), writes the parameter gradients (overwriting) and, unless the layer is the first, the input gradient. It
 * may overwrite its output gradient.
 */
public interface LayerOp {
    /** The layer's name, e.g. {@code conv2d_1}. */
    String name();

    void forward(Step step);

    void backward(Step step);
}
