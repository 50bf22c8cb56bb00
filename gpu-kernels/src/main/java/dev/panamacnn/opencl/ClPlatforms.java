package dev.panamacnn.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/** Platform and device discovery. */
public final class ClPlatforms {
    private ClPlatforms() {}

    /**
     * Every device of every platform, in platform order. An empty list when the loader finds no platform
     * ({@code CL_PLATFORM_NOT_FOUND_KHR}, e.g. no ICD file in /etc/OpenCL/vendors).
     *
     * @throws ClException when libOpenCL cannot be loaded, or on any other OpenCL error
     */
    public static List<ClDevice> devices() {
        List<ClDevice> out = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(JAVA_INT);
            int rc = OpenCL.getPlatformIDs(0, MemorySegment.NULL, count);
            if (rc == -1001 || (rc == 0 && count.get(JAVA_INT, 0) == 0)) return out;
            OpenCL.check(rc, "clGetPlatformIDs");
            int np = count.get(JAVA_INT, 0);
            MemorySegment plats = a.allocate(ADDRESS, np);
            OpenCL.check(OpenCL.getPlatformIDs(np, plats, MemorySegment.NULL), "clGetPlatformIDs");
            for (int p = 0; p < np; p++) {
                MemorySegment plat = plats.getAtIndex(ADDRESS, p);
                String pname = platformString(plat, OpenCL.CL_PLATFORM_NAME);
                String pver = platformString(plat, OpenCL.CL_PLATFORM_VERSION);
                int drc = OpenCL.getDeviceIDs(plat, OpenCL.CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, count);
                if (drc == -1) continue;   // CL_DEVICE_NOT_FOUND: a platform with no devices
                OpenCL.check(drc, "clGetDeviceIDs");
                int nd = count.get(JAVA_INT, 0);
                MemorySegment devs = a.allocate(ADDRESS, nd);
                OpenCL.check(OpenCL.getDeviceIDs(plat, OpenCL.CL_DEVICE_TYPE_ALL, nd, devs, MemorySegment.NULL), "clGetDeviceIDs");
                for (int d = 0; d < nd; d++) {
                    MemorySegment dev = devs.getAtIndex(ADDRESS, d);
                    out.add(new ClDevice(out.size(), pname, pver,
                            deviceString(dev, OpenCL.CL_DEVICE_NAME), deviceString(dev, OpenCL.CL_DEVICE_VENDOR),
                            deviceString(dev, OpenCL.CL_DEVICE_VERSION), deviceString(dev, OpenCL.CL_DRIVER_VERSION),
                            deviceLong(dev, OpenCL.CL_DEVICE_TYPE), (int) deviceInt(dev, OpenCL.CL_DEVICE_MAX_COMPUTE_UNITS),
                            deviceLong(dev, OpenCL.CL_DEVICE_GLOBAL_MEM_SIZE), deviceLong(dev, OpenCL.CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                            deviceLong(dev, OpenCL.CL_DEVICE_LOCAL_MEM_SIZE), deviceLong(dev, OpenCL.CL_DEVICE_MAX_WORK_GROUP_SIZE),
                            (int) deviceInt(dev, OpenCL.CL_DEVICE_MAX_CLOCK_FREQUENCY), dev));
                }
            }
        }
        return out;
    }

    private static String platformString(MemorySegment p, int what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(OpenCL.SIZE_T);
            OpenCL.getPlatformInfo(p, what, 0, MemorySegment.NULL, size);
            MemorySegment buf = a.allocate(Math.max(1, size.get(OpenCL.SIZE_T, 0)));
            OpenCL.getPlatformInfo(p, what, buf.byteSize(), buf, MemorySegment.NULL);
            return buf.getString(0, StandardCharsets.UTF_8).trim();
        }
    }

    private static String deviceString(MemorySegment d, int what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(OpenCL.SIZE_T);
            OpenCL.getDeviceInfo(d, what, 0, MemorySegment.NULL, size);
            MemorySegment buf = a.allocate(Math.max(1, size.get(OpenCL.SIZE_T, 0)));
            OpenCL.getDeviceInfo(d, what, buf.byteSize(), buf, MemorySegment.NULL);
            return buf.getString(0, StandardCharsets.UTF_8).trim();
        }
    }

    private static long deviceLong(MemorySegment d, int what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_LONG);
            OpenCL.getDeviceInfo(d, what, 8, v, MemorySegment.NULL);
            return v.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    private static long deviceInt(MemorySegment d, int what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            OpenCL.getDeviceInfo(d, what, 4, v, MemorySegment.NULL);
            return v.get(JAVA_INT, 0) & 0xFFFFFFFFL;
        }
    }
}
