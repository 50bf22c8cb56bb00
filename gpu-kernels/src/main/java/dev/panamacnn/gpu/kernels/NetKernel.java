package dev.panamacnn.gpu.kernels;

import com.aparapi.Kernel;

/**
 * Base of the engine's kernels: an Aparapi {@link Kernel} (so its translator can turn {@code run()} into OpenCL C),
 * plus the float helpers the kernels share. Kernels are plain Java over primitive arrays and ints: fields are the
 * kernel's arguments, {@code run()} is the body of one work-item. Only float math is used ({@code Math.*} on
 * doubles would emit fp64 code).
 */
public abstract class NetKernel extends Kernel {
    /** Applies activation {@code act} ({@link Act}) to a pre-activation value. */
    protected float activate(float z, int act) {
        float r = z;
        if (act == 1) {
            r = z > 0f ? z : 0f;
        } else if (act == 2) {
            r = 1f / (1f + exp(-z));
        } else if (act == 3) {
            float e = exp(-2f * abs(z));
            float t = (1f - e) / (1f + e);
            r = z < 0f ? -t : t;
        } else if (act == 4) {
            r = z > 0f ? z : exp(z) - 1f;
        } else if (act == 5) {
            r = z > 0f ? z : 0.2f * z;
        }
        return r;
    }

    /** The activation's derivative, written in terms of its output {@code y}. */
    protected float derivative(float y, int act) {
        float r = 1f;
        if (act == 1) {
            r = y > 0f ? 1f : 0f;
        } else if (act == 2) {
            r = y * (1f - y);
        } else if (act == 3) {
            r = 1f - y * y;
        } else if (act == 4) {
            r = y > 0f ? 1f : y + 1f;
        } else if (act == 5) {
            r = y > 0f ? 1f : 0.2f;
        }
        return r;
    }
}
