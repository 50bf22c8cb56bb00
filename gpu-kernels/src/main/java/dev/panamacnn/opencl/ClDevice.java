package dev.panamacnn.opencl;

import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * One OpenCL device as the ICD loader reports it. {@code index} is its position in {@link ClPlatforms#devices()}
 * (all platforms, in order), which is what {@code --device N} selects.
 */
public record ClDevice(int index, String platformName, String platformVersion, String name, String vendor,
                       String deviceVersion, String driverVersion, long type, int computeUnits, long globalMemBytes,
                       long maxAllocBytes, long localMemBytes, long maxWorkGroupSize, int clockMHz, MemorySegment handle) {

    public boolean isGpu() { return (type & OpenCL.CL_DEVICE_TYPE_GPU) != 0; }
    public boolean isCpu() { return (type & OpenCL.CL_DEVICE_TYPE_CPU) != 0; }

    public String typeName() {
        if (isGpu()) return "GPU";
        if (isCpu()) return "CPU";
        if ((type & OpenCL.CL_DEVICE_TYPE_ACCELERATOR) != 0) return "accelerator";
        return "other";
    }

    /** e.g. {@code NVIDIA H100 80GB HBM3 (GPU, NVIDIA CUDA, 132 compute units, 79.1 GiB)}. */
    public String describe() {
        return String.format(Locale.ROOT, "%s (%s, %s, %d compute units, %.1f GiB)", name, typeName(), platformName,
                computeUnits, globalMemBytes / (double) (1L << 30));
    }
}
