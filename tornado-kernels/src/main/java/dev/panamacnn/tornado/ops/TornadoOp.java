package dev.panamacnn.tornado.ops;

import uk.ac.manchester.tornado.api.TaskGraph;

/**
 * A layer's TornadoVM op: the tasks its forward and backward passes add to the backend's one training-step
 * {@link TaskGraph}, bound to the layer's device arrays when the backend plans the model ({@link TornadoBinding}).
 *
 * <p>This is the layer contract's {@code forward}/{@code backward} pair in the form TornadoVM needs: TornadoVM compiles
 * and schedules a whole task graph, so an op contributes tasks to it instead of launching kernels itself. Every
 * array a task uses is declared by the backend, so the op only names the kernels and their arguments.
 */
public abstract class TornadoOp {
    private final String name;

    protected TornadoOp(String name) { this.name = name; }

    /** The layer's name, e.g. {@code conv2d_1}. */
    public String name() { return name; }

    /** Adds the forward pass's tasks (task names start with the layer's name). */
    public abstract void forward(TaskGraph g);

    /** Adds the backward pass's tasks, which do nothing unless the step trains ({@code meta[1] == 1}). */
    public abstract void backward(TaskGraph g);

    /** Device arrays the op owns besides the plan's (partial sums, arg-max), for the backend to declare. */
    public Object[] ownArrays() { return new Object[0]; }

    /** The kernels' activation code. */
    static int act(dev.panamacnn.activations.Activation a) {
        return switch (a) {
            case LINEAR, SOFTMAX -> dev.panamacnn.tornado.kernels.Kernels.LINEAR;
            case RELU -> dev.panamacnn.tornado.kernels.Kernels.RELU;
            case SIGMOID -> dev.panamacnn.tornado.kernels.Kernels.SIGMOID;
            case TANH -> dev.panamacnn.tornado.kernels.Kernels.TANH;
            default -> throw new IllegalArgumentException("the TornadoVM backend has no kernel for the " + a.kerasName() + " activation");
        };
    }
}
