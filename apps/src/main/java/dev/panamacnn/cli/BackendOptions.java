package dev.panamacnn.cli;

import dev.panamacnn.exec.Backend;
import dev.panamacnn.exec.BackendFactory;
import dev.panamacnn.gpu.BackendChoice;
import dev.panamacnn.gpu.OpenClAccelerator;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.runtime.Flags;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code --backend cpu|opencl|tornado|auto} and {@code --device}, shared by train, evaluate and predict (a picocli
 * mixin). The choice is made before any data is loaded, and printed with its reason; an explicit backend that cannot
 * run is one line and a non-zero exit, never a silent fallback.
 *
 * <p>{@code auto} takes, in order: a TornadoVM GPU when this JVM runs TornadoVM (the user started
 * {@code bin/panama-cnn-tornado}, which says they want it), else an OpenCL GPU (our own OpenCL backend, which needs
 * no SDK), else the CPU engine. For predict on a few images ({@link #FEW_IMAGES}) outside TornadoVM's launcher it takes
 * the CPU engine at once.
 */
final class BackendOptions {
    @Option(names = "--backend", defaultValue = "auto",
            description = "cpu, opencl, tornado or auto (default: ${DEFAULT-VALUE}: a TornadoVM GPU under bin/panama-cnn-tornado, else an OpenCL GPU, else the CPU engine).")
    String backend;

    @Option(names = "--device", description = "OpenCL device index N (see 'panama-cnn devices'), or a TornadoVM device D:D such as 0:0; implies that backend.")
    String device;

    /** What runs the model, and why. {@code tornadoDevice} is null for TornadoVM's default (its first GPU, else its first device). */
    record Choice(BackendChoice opencl, BackendFactory tornado, String tornadoDevice, String reason) {
        boolean cpu() { return tornado == null && !opencl.opencl(); }
    }

    /** The TornadoVM backend of this JVM, or a one-line reason why there is none. */
    static Optional<BackendFactory> tornado() { return BackendFactory.find("tornado"); }

    static String noTornado() {
        String home = Flags.tornadoHome();
        return "the TornadoVM backend needs a TornadoVM SDK and its launcher: "
                + (home == null ? "set TORNADOVM_HOME to the SDK's folder (TornadoVM's releases, or a build of it) and run bin/panama-cnn-tornado"
                : "TORNADOVM_HOME is " + home + "; run bin/panama-cnn-tornado, which starts the JVM with its tornado-argfile");
    }

    /** Decides the backend and prints which and why (before any data is loaded, so a bad choice fails fast). */
    Choice choose(PrintWriter out) {
        Choice c = decide();
        out.println("Backend: " + c.reason());
        out.flush();
        return c;
    }

    private Choice decide() {
        String b = backend == null ? "auto" : backend.toLowerCase(Locale.ROOT);
        boolean tornadoDeviceId = device != null && device.contains(":");
        if (b.equals("tornado") || tornadoDeviceId) {
            if (!b.equals("tornado") && !b.equals("auto")) {
                throw new BackendChoice.Unavailable("--device " + device + " names a TornadoVM device (driver:device); it cannot be used with --backend " + backend);
            }
            String what = b.equals("tornado") ? "--backend tornado" : "--device " + device;
            BackendFactory f = tornado().orElseThrow(() -> new BackendChoice.Unavailable(what + ": " + noTornado()));
            String why = f.unavailableReason();
            if (why != null) throw new BackendChoice.Unavailable(what + ": " + why);
            List<BackendFactory.Device> devices = f.devices();
            BackendFactory.Device d = pick(devices, tornadoDeviceId ? device : null, what);
            return new Choice(new BackendChoice(null, "-"), f, d.id(), "TornadoVM on " + d.id() + " " + d.description() + " (" + what + ")");
        }
        Integer index = null;
        if (device != null) {
            try {
                index = Integer.valueOf(device.trim());
            } catch (NumberFormatException e) {
                throw new BackendChoice.Unavailable("--device " + device + ": expected an OpenCL device index (N) or a TornadoVM device (driver:device, e.g. 0:0)");
            }
        }
        if (b.equals("auto") && index == null) {
            Optional<BackendFactory> t = tornado().filter(f -> f.unavailableReason() == null);
            if (t.isPresent()) {
                Optional<BackendFactory.Device> gpu = t.get().devices().stream().filter(BackendFactory.Device::gpu).findFirst();
                if (gpu.isPresent()) {
                    return new Choice(new BackendChoice(null, "-"), t.get(), gpu.get().id(), "TornadoVM on " + gpu.get().id() + " "
                            + gpu.get().description() + " (auto: this JVM runs TornadoVM and it found a GPU)");
                }
            }
        }
        BackendChoice c = BackendChoice.choose(b, index);
        return new Choice(c, null, null, c.reason());
    }

    private static BackendFactory.Device pick(List<BackendFactory.Device> devices, String id, String what) {
        if (devices.isEmpty()) throw new BackendChoice.Unavailable(what + ": TornadoVM sees no device");
        if (id == null) return devices.stream().filter(BackendFactory.Device::gpu).findFirst().orElse(devices.get(0));
        return devices.stream().filter(d -> d.id().equals(id.trim())).findFirst().orElseThrow(() -> new BackendChoice.Unavailable(
                what + ": no such TornadoVM device; there are " + devices.stream().map(d -> d.id() + " " + d.description()).toList()));
    }

    /** For a device choice, plans the model there (for batches of up to {@code capacity}) and attaches it; null for the CPU engine. */
    Backend attach(Choice c, Sequential model, int capacity, PrintWriter out) {
        return attach(c, model, capacity, out, false);
    }

    /** Like {@link #attach(Choice, Sequential, int, PrintWriter)} for evaluate and predict: no training buffers where the backend can leave them out. */
    Backend attachForInference(Sequential model, int capacity, PrintWriter out) {
        return attach(choose(out), model, capacity, out, true);
    }

    /**
     * Up to this many images, {@code predict --backend auto} runs on the CPU engine without looking for a device:
     * setting one up (PoCL here: ~0.3 s) is not won back on so few, which the CPU engine runs at ~25,000 images/s
     * once warm (docs/performance.md).
     */
    static final int FEW_IMAGES = 1000;

    /** {@link #attachForInference} for predict on {@code images} images: few of them under auto go to the CPU engine at once. */
    Backend attachForPredict(Sequential model, int images, PrintWriter out) {
        boolean auto = (backend == null || backend.equalsIgnoreCase("auto")) && device == null;
        if (auto && images <= FEW_IMAGES && tornado().isEmpty()) {
            out.println("Backend: CPU engine (auto: " + images + (images == 1 ? " image" : " images") + ", at most " + FEW_IMAGES
                    + ", run on the CPU before a device could be set up; --backend opencl to use one)");
            out.flush();
            return null;
        }
        return attachForInference(model, Math.min(Math.max(1, images), 1000), out);
    }

    private Backend attach(Choice c, Sequential model, int capacity, PrintWriter out, boolean inference) {
        if (c.cpu()) return null;
        try {
            return attachDevice(c, model, capacity, out, inference);
        } catch (IllegalArgumentException e) {
            // a model the device backend has no kernels for: chosen automatically, it runs on the CPU engine instead
            if (!backend.equalsIgnoreCase("auto") || device != null) throw new BackendChoice.Unavailable(e.getMessage());
            out.println("The device backend cannot run this model (" + e.getMessage() + "); running on the CPU engine instead");
            out.flush();
            return null;
        }
    }

    private Backend attachDevice(Choice c, Sequential model, int capacity, PrintWriter out, boolean inference) {
        long t0 = System.nanoTime();
        Backend b;
        if (c.tornado() != null) {
            b = c.tornado().create(model, c.tornadoDevice(), capacity);
            out.printf(Locale.ROOT, "TornadoVM device: %s; every kernel compiled from Java by TornadoVM in %.1f s%n",
                    b.description().replaceFirst("^TornadoVM: ", ""), (System.nanoTime() - t0) / 1e9);
        } else if (inference) {
            OpenClAccelerator acc = OpenClAccelerator.forInference(model, c.opencl().device(), capacity);
            b = acc;
            out.println("OpenCL device: " + c.opencl().device().name() + " (inference plan, " + (acc.context().allocatedBytes() >> 20) + " MiB on the device)");
        } else {
            OpenClAccelerator acc = OpenClAccelerator.create(model, c.opencl().device(), capacity);
            b = acc;
            out.printf(Locale.ROOT, "OpenCL device: %s; %d kernels translated from Java and built in %.1f s; %d MiB on the device%n",
                    c.opencl().device().name(), acc.kernelClasses(), (System.nanoTime() - t0) / 1e9, acc.context().allocatedBytes() >> 20);
        }
        model.accelerate(b);
        out.flush();
        return b;
    }
}
