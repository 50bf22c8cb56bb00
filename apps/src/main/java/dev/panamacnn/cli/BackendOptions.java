package dev.panamacnn.cli;

import dev.panamacnn.gpu.BackendChoice;
import dev.panamacnn.gpu.OpenClAccelerator;
import dev.panamacnn.models.Sequential;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** {@code --backend cpu|opencl|auto} and {@code --device N}, shared by train, evaluate and predict (a picocli mixin). */
final class BackendOptions {
    @Option(names = "--backend", defaultValue = "auto", description = "cpu, opencl or auto (default: ${DEFAULT-VALUE}: an OpenCL GPU if there is one, else the CPU engine).")
    String backend;

    @Option(names = "--device", description = "OpenCL device index (see 'panama-cnn devices'); implies --backend opencl.")
    Integer device;

    /**
     * Decides the backend, prints which and why, and for OpenCL attaches an accelerator planned for batches of up to
     * {@code capacity}; returns it (the caller closes it) or null for the CPU engine.
     */
    OpenClAccelerator attach(Sequential model, int capacity, PrintWriter out) {
        return attach(choose(out), model, capacity, out);
    }

    /** Like {@link #attach(Sequential, int, PrintWriter)}, for evaluate and predict: no training buffers on the device. */
    OpenClAccelerator attachForInference(Sequential model, int capacity, PrintWriter out) {
        BackendChoice c = choose(out);
        if (!c.opencl()) return null;
        OpenClAccelerator acc = OpenClAccelerator.forInference(model, c.device(), capacity);
        model.accelerate(acc);
        out.println("OpenCL device: " + c.device().name() + " (inference plan, " + (acc.context().allocatedBytes() >> 20) + " MiB on the device)");
        out.flush();
        return acc;
    }

    /** Decides the backend and prints which and why (before any data is loaded, so a bad choice fails fast). */
    BackendChoice choose(PrintWriter out) {
        BackendChoice c = BackendChoice.choose(backend, device);
        out.println("Backend: " + c.reason());
        out.flush();
        return c;
    }

    /** For an OpenCL choice, plans the model on the device and attaches it; null for the CPU engine. */
    OpenClAccelerator attach(BackendChoice c, Sequential model, int capacity, PrintWriter out) {
        if (!c.opencl()) return null;
        long t0 = System.nanoTime();
        OpenClAccelerator acc = OpenClAccelerator.create(model, c.device(), capacity);
        model.accelerate(acc);
        out.printf(java.util.Locale.ROOT, "OpenCL device: %s; %d kernels translated from Java and built in %.1f s; %d MiB on the device%n",
                c.device().name(), acc.kernelClasses(), (System.nanoTime() - t0) / 1e9, acc.context().allocatedBytes() >> 20);
        out.flush();
        return acc;
    }
}
