package dev.panamacnn.gpu;

import dev.panamacnn.opencl.ClBuffer;
import dev.panamacnn.opencl.ClContext;
import dev.panamacnn.opencl.ClDevice;
import dev.panamacnn.opencl.ClPlatforms;
import dev.panamacnn.opencl.OpenCL;
import org.junit.jupiter.api.Assumptions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * The OpenCL device the tests run on: {@code PANAMA_CNN_OPENCL_DEVICE=N} picks one, else the first GPU, else the first
 * device (PoCL's CPU device in CI). Without OpenCL the tests are skipped with the reason, unless
 * {@code PANAMA_CNN_REQUIRE_OPENCL=1} (set by .ci/run), which turns a missing device into a failure.
 */
final class OpenClTestDevice {
    private OpenClTestDevice() {}

    static ClDevice get() {
        String why = null;
        List<ClDevice> devices = List.of();
        if (!OpenCL.available()) {
            why = OpenCL.unavailableReason();
        } else {
            devices = ClPlatforms.devices();
            if (devices.isEmpty()) why = "no OpenCL platform or device is visible (install pocl-opencl-icd for a CPU device)";
        }
        if (why != null) {
            if (dev.panamacnn.runtime.Flags.requireOpenCl()) throw new AssertionError("PANAMA_CNN_REQUIRE_OPENCL=1 but " + why);
            Assumptions.abort("OpenCL tests skipped: " + why);
        }
        String pick = dev.panamacnn.runtime.Flags.testOpenClDevice();
        if (pick != null && !pick.isBlank()) return devices.get(Integer.parseInt(pick.trim()));
        return devices.stream().filter(ClDevice::isGpu).findFirst().orElse(devices.get(0));
    }

    static ClBuffer upload(ClContext ctx, float[] data, String label) {
        ClBuffer b = ctx.buffer(data.length * 4L, label);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(Math.max(4, data.length * 4L), 8);
            MemorySegment.copy(data, 0, s, ValueLayout.JAVA_FLOAT, 0, data.length);
            ctx.write(b, 0, s, data.length * 4L);
        }
        return b;
    }

    static float[] download(ClContext ctx, ClBuffer b, int count) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(Math.max(4, count * 4L), 8);
            ctx.read(b, 0, s, count * 4L);
            return s.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    static int[] downloadInts(ClContext ctx, ClBuffer b, int count) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(Math.max(4, count * 4L), 8);
            ctx.read(b, 0, s, count * 4L);
            return s.toArray(ValueLayout.JAVA_INT);
        }
    }

    /** Largest |a - b| divided by the largest |b| (or 1 if that is smaller). */
    static double relError(float[] actual, float[] expected) {
        if (actual.length != expected.length) throw new AssertionError("lengths " + actual.length + " vs " + expected.length);
        double maxErr = 0, scale = 1e-30;
        for (int i = 0; i < expected.length; i++) {
            maxErr = Math.max(maxErr, Math.abs((double) actual[i] - expected[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        return maxErr / Math.max(scale, 1e-6);
    }
}
