package dev.panamacnn.gpu;

import dev.panamacnn.opencl.ClDevice;
import dev.panamacnn.opencl.ClException;
import dev.panamacnn.opencl.ClPlatforms;
import dev.panamacnn.opencl.OpenCL;

import java.util.List;
import java.util.Locale;

/**
 * Decides where a model runs, and says why: {@code cpu}, {@code opencl} or {@code auto}. Fallback is a decision,
 * never an accident: {@code auto} takes an OpenCL GPU when there is one and otherwise the CPU engine, with the
 * reason; {@code opencl} without a usable device is an error.
 *
 * @param device the OpenCL device to use, or null for the CPU engine
 * @param reason one line for the user, the decision first and then why, e.g.
 *     {@code CPU engine (auto: no OpenCL platform is visible ...)} or {@code OpenCL on NVIDIA H100 ... (auto: found an OpenCL GPU)}
 */
public record BackendChoice(ClDevice device, String reason) {
    public boolean opencl() { return device != null; }

    /** Thrown for {@code --backend opencl} (or {@code --device N}) when no such OpenCL device can be used. */
    public static final class Unavailable extends RuntimeException {
        public Unavailable(String message) { super(message); }
    }

    /**
     * @param backend {@code cpu}, {@code opencl} or {@code auto}
     * @param deviceIndex {@code --device N} (an index into {@link ClPlatforms#devices()}), or null
     */
    public static BackendChoice choose(String backend, Integer deviceIndex) {
        String b = backend == null ? "auto" : backend.toLowerCase(Locale.ROOT);
        switch (b) {
            case "cpu" -> {
                if (deviceIndex != null) throw new Unavailable("--device selects an OpenCL device; it cannot be used with --backend cpu");
                return new BackendChoice(null, "CPU engine (--backend cpu)");
            }
            case "opencl", "auto" -> { }
            default -> throw new IllegalArgumentException("--backend must be cpu, opencl or auto, got '" + backend + "'");
        }
        boolean explicit = b.equals("opencl") || deviceIndex != null;
        String what = b.equals("opencl") ? "--backend opencl" : "--device " + deviceIndex;
        if (!OpenCL.available()) {
            if (explicit) throw new Unavailable(what + ": " + OpenCL.unavailableReason());
            return new BackendChoice(null, "CPU engine (auto: no OpenCL library, libOpenCL.so.1)");
        }
        List<ClDevice> devices;
        try {
            devices = ClPlatforms.devices();
        } catch (ClException e) {
            if (explicit) throw new Unavailable(what + ": OpenCL device discovery failed: " + e.getMessage());
            return new BackendChoice(null, "CPU engine (auto: OpenCL device discovery failed: " + e.getMessage() + ")");
        }
        if (devices.isEmpty()) {
            String none = "no OpenCL platform is visible (the ICD loader found no driver in /etc/OpenCL/vendors or $OCL_ICD_VENDORS)";
            if (explicit) throw new Unavailable(what + ": " + none + "; install one (pocl-opencl-icd for the CPU, the GPU vendor's driver) or use --backend cpu");
            return new BackendChoice(null, "CPU engine (auto: " + none + ")");
        }
        if (deviceIndex != null) {
            if (deviceIndex < 0 || deviceIndex >= devices.size()) {
                throw new Unavailable("--device " + deviceIndex + ": there are " + devices.size() + " OpenCL devices (0 to " + (devices.size() - 1)
                        + "); run 'panama-cnn devices' to list them");
            }
            ClDevice d = devices.get(deviceIndex);
            return new BackendChoice(d, "OpenCL on " + d.describe() + " (--device " + deviceIndex + ")");
        }
        ClDevice gpu = devices.stream().filter(ClDevice::isGpu).findFirst().orElse(null);
        if (b.equals("opencl")) {
            ClDevice d = gpu != null ? gpu : devices.get(0);
            return new BackendChoice(d, "OpenCL on " + d.describe() + " (--backend opencl" + (gpu == null
                    ? "; there is no OpenCL GPU; on a CPU device expect it to be slower than the CPU engine: PoCL was 14x slower"
                    + " in docs/performance.md)" : ")"));
        }
        if (gpu != null) return new BackendChoice(gpu, "OpenCL on " + gpu.describe() + " (auto: found an OpenCL GPU)");
        ClDevice d = devices.get(0);
        return new BackendChoice(null, "CPU engine (auto: no OpenCL GPU; the OpenCL device found, " + d.describe()
                + ", is not a GPU; --backend opencl uses it anyway)");
    }
}
