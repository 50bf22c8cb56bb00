package dev.panamacnn.tornado.ops;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Where a layer's TornadoVM op finds its arrays, fixed at plan time: the batch capacity, the parameter and gradient
 * arrays (the host layout) and the layer's offset in them, its input, output, output gradient and input gradient
 * (null when no layer before it needs one), and {@code meta} ({@code [n, training, labels]}, sent every step).
 *
 * @param last whether this is the last layer (its output gradient is w.r.t. the pre-activation)
 */
public record TornadoBinding(int capacity, FloatArray params, FloatArray grads, int paramOffset, FloatArray in, FloatArray out,
                             FloatArray dOut, FloatArray dIn, IntArray meta, boolean last) {}
