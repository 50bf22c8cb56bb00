package dev.panamacnn.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Downcalls into the OpenCL ICD loader ({@code libOpenCL.so.1}) through the FFM API: the 25 or so OpenCL 1.2 entry
 * points the engine needs, and nothing of our own in C. Every {@code cl_int} error code becomes a {@link ClException}
 * naming the call and the code.
 *
 * <p>The library is looked up once, lazily; {@code -Dpanamacnn.opencl.library=/path/libOpenCL.so} (or the
 * environment variable {@code PANAMA_CNN_OPENCL_LIBRARY}) overrides the name. When it cannot be loaded, {@link #available()} is false and {@link #unavailableReason()} says why.
 */
public final class OpenCL {
    private OpenCL() {}

    // ---------------------------------------------------------------- constants (cl.h)
    public static final int CL_SUCCESS = 0;
    public static final long CL_DEVICE_TYPE_CPU = 1 << 1, CL_DEVICE_TYPE_GPU = 1 << 2, CL_DEVICE_TYPE_ACCELERATOR = 1 << 3;
    public static final long CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;
    static final int CL_PLATFORM_VERSION = 0x0901, CL_PLATFORM_NAME = 0x0902, CL_PLATFORM_VENDOR = 0x0903;
    static final int CL_DEVICE_TYPE = 0x1000, CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002, CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004,
            CL_DEVICE_MAX_CLOCK_FREQUENCY = 0x100C, CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010, CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F,
            CL_DEVICE_LOCAL_MEM_SIZE = 0x1023, CL_DEVICE_NAME = 0x102B, CL_DEVICE_VENDOR = 0x102C, CL_DRIVER_VERSION = 0x102D,
            CL_DEVICE_VERSION = 0x102F;
    static final long CL_MEM_READ_WRITE = 1;
    static final int CL_PROGRAM_BUILD_LOG = 0x1183;
    static final int CL_TRUE = 1;

    private static final Map<Integer, String> ERRORS = Map.ofEntries(
            Map.entry(-1, "CL_DEVICE_NOT_FOUND"), Map.entry(-2, "CL_DEVICE_NOT_AVAILABLE"),
            Map.entry(-3, "CL_COMPILER_NOT_AVAILABLE"), Map.entry(-4, "CL_MEM_OBJECT_ALLOCATION_FAILURE"),
            Map.entry(-5, "CL_OUT_OF_RESOURCES"), Map.entry(-6, "CL_OUT_OF_HOST_MEMORY"),
            Map.entry(-7, "CL_PROFILING_INFO_NOT_AVAILABLE"), Map.entry(-8, "CL_MEM_COPY_OVERLAP"),
            Map.entry(-11, "CL_BUILD_PROGRAM_FAILURE"), Map.entry(-12, "CL_MAP_FAILURE"),
            Map.entry(-13, "CL_MISALIGNED_SUB_BUFFER_OFFSET"), Map.entry(-30, "CL_INVALID_VALUE"),
            Map.entry(-31, "CL_INVALID_DEVICE_TYPE"), Map.entry(-32, "CL_INVALID_PLATFORM"),
            Map.entry(-33, "CL_INVALID_DEVICE"), Map.entry(-34, "CL_INVALID_CONTEXT"),
            Map.entry(-35, "CL_INVALID_QUEUE_PROPERTIES"), Map.entry(-36, "CL_INVALID_COMMAND_QUEUE"),
            Map.entry(-37, "CL_INVALID_HOST_PTR"), Map.entry(-38, "CL_INVALID_MEM_OBJECT"),
            Map.entry(-42, "CL_INVALID_BINARY"), Map.entry(-43, "CL_INVALID_BUILD_OPTIONS"),
            Map.entry(-44, "CL_INVALID_PROGRAM"), Map.entry(-45, "CL_INVALID_PROGRAM_EXECUTABLE"),
            Map.entry(-46, "CL_INVALID_KERNEL_NAME"), Map.entry(-47, "CL_INVALID_KERNEL_DEFINITION"),
            Map.entry(-48, "CL_INVALID_KERNEL"), Map.entry(-49, "CL_INVALID_ARG_INDEX"),
            Map.entry(-50, "CL_INVALID_ARG_VALUE"), Map.entry(-51, "CL_INVALID_ARG_SIZE"),
            Map.entry(-52, "CL_INVALID_KERNEL_ARGS"), Map.entry(-53, "CL_INVALID_WORK_DIMENSION"),
            Map.entry(-54, "CL_INVALID_WORK_GROUP_SIZE"), Map.entry(-55, "CL_INVALID_WORK_ITEM_SIZE"),
            Map.entry(-56, "CL_INVALID_GLOBAL_OFFSET"), Map.entry(-57, "CL_INVALID_EVENT_WAIT_LIST"),
            Map.entry(-58, "CL_INVALID_EVENT"), Map.entry(-59, "CL_INVALID_OPERATION"),
            Map.entry(-61, "CL_INVALID_BUFFER_SIZE"), Map.entry(-63, "CL_INVALID_GLOBAL_WORK_SIZE"),
            Map.entry(-1001, "CL_PLATFORM_NOT_FOUND_KHR"));

    /** {@code CL_INVALID_VALUE (-30)}-style name of an OpenCL error code. */
    public static String errorName(int code) {
        return ERRORS.getOrDefault(code, "unknown OpenCL error") + " (" + code + ")";
    }

    // ---------------------------------------------------------------- loading

    private static final class Lib {
        static final String NAME = dev.panamacnn.runtime.Flags.openClLibrary();
        static final SymbolLookup LOOKUP;
        static final String FAILURE;

        static {
            SymbolLookup l = null;
            String why = null;
            SignalGuard.capture();   // the JVM's signal handlers, before any driver can replace them
            try {
                l = SymbolLookup.libraryLookup(NAME, Arena.global());
            } catch (IllegalArgumentException | IllegalCallerException e) {
                why = "cannot load the OpenCL library " + NAME + " (" + e.getMessage() + "); install an ICD loader"
                        + " (Debian: ocl-icd-libopencl1) and a driver: pocl-opencl-icd for the CPU, the NVIDIA/AMD/Intel driver for a GPU";
            }
            LOOKUP = l;
            FAILURE = why;
        }
    }

    /** Whether {@code libOpenCL.so.1} could be loaded (says nothing yet about platforms or devices). */
    public static boolean available() { return Lib.LOOKUP != null; }

    /** Why the library could not be loaded, or null. */
    public static String unavailableReason() { return Lib.FAILURE; }

    static MethodHandle fn(String name, FunctionDescriptor d) {
        if (Lib.LOOKUP == null) throw new ClException(Lib.FAILURE);
        MemorySegment sym = Lib.LOOKUP.find(name)
                .orElseThrow(() -> new ClException("the OpenCL library " + Lib.NAME + " has no symbol " + name + " (needs OpenCL 1.2)"));
        return Linker.nativeLinker().downcallHandle(sym, d);
    }

    // ---------------------------------------------------------------- entry points, bound on first use

    private static final class H {
        static final MethodHandle GET_PLATFORM_IDS = fn("clGetPlatformIDs", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle GET_PLATFORM_INFO = fn("clGetPlatformInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
        static final MethodHandle GET_DEVICE_IDS = fn("clGetDeviceIDs", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle GET_DEVICE_INFO = fn("clGetDeviceInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
        static final MethodHandle CREATE_CONTEXT = fn("clCreateContext", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle CREATE_QUEUE = fn("clCreateCommandQueue", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
        static final MethodHandle CREATE_BUFFER = fn("clCreateBuffer", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS));
        static final MethodHandle WRITE_BUFFER = fn("clEnqueueWriteBuffer", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle READ_BUFFER = fn("clEnqueueReadBuffer", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle FILL_BUFFER = fn("clEnqueueFillBuffer", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle CREATE_PROGRAM = fn("clCreateProgramWithSource", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle BUILD_PROGRAM = fn("clBuildProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle BUILD_INFO = fn("clGetProgramBuildInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
        static final MethodHandle CREATE_KERNEL = fn("clCreateKernel", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle SET_KERNEL_ARG = fn("clSetKernelArg", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS));
        static final MethodHandle ENQUEUE_ND_RANGE = fn("clEnqueueNDRangeKernel", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle FINISH = fn("clFinish", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle RELEASE_MEM = fn("clReleaseMemObject", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle RELEASE_KERNEL = fn("clReleaseKernel", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle RELEASE_PROGRAM = fn("clReleaseProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle RELEASE_QUEUE = fn("clReleaseCommandQueue", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle RELEASE_CONTEXT = fn("clReleaseContext", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static void check(int code, String call) {
        if (code != CL_SUCCESS) throw new ClException(call, code);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    // Thin, checked wrappers. Pointers are MemorySegments; NULL is MemorySegment.NULL.

    static int getPlatformIDs(int n, MemorySegment ids, MemorySegment count) {
        try { return (int) H.GET_PLATFORM_IDS.invokeExact(n, ids, count); } catch (Throwable t) { throw rethrow(t); }
        finally { SignalGuard.restore(); }
    }
    static void getPlatformInfo(MemorySegment p, int what, long size, MemorySegment value, MemorySegment sizeRet) {
        try { check((int) H.GET_PLATFORM_INFO.invokeExact(p, what, size, value, sizeRet), "clGetPlatformInfo"); } catch (Throwable t) { throw rethrow(t); }
    }
    static int getDeviceIDs(MemorySegment p, long type, int n, MemorySegment ids, MemorySegment count) {
        try { return (int) H.GET_DEVICE_IDS.invokeExact(p, type, n, ids, count); } catch (Throwable t) { throw rethrow(t); }
        finally { SignalGuard.restore(); }
    }
    static void getDeviceInfo(MemorySegment d, int what, long size, MemorySegment value, MemorySegment sizeRet) {
        try { check((int) H.GET_DEVICE_INFO.invokeExact(d, what, size, value, sizeRet), "clGetDeviceInfo"); } catch (Throwable t) { throw rethrow(t); }
    }
    static MemorySegment createContext(MemorySegment devices, int n, MemorySegment err) {
        try { return (MemorySegment) H.CREATE_CONTEXT.invokeExact(MemorySegment.NULL, n, devices, MemorySegment.NULL, MemorySegment.NULL, err); } catch (Throwable t) { throw rethrow(t); }
        finally { SignalGuard.restore(); }
    }
    static MemorySegment createCommandQueue(MemorySegment ctx, MemorySegment dev, MemorySegment err) {
        try { return (MemorySegment) H.CREATE_QUEUE.invokeExact(ctx, dev, 0L, err); } catch (Throwable t) { throw rethrow(t); }
        finally { SignalGuard.restore(); }
    }
    static MemorySegment createBuffer(MemorySegment ctx, long flags, long size, MemorySegment err) {
        try { return (MemorySegment) H.CREATE_BUFFER.invokeExact(ctx, flags, size, MemorySegment.NULL, err); } catch (Throwable t) { throw rethrow(t); }
    }
    static void writeBuffer(MemorySegment q, MemorySegment mem, long offset, long size, MemorySegment src) {
        try { check((int) H.WRITE_BUFFER.invokeExact(q, mem, CL_TRUE, offset, size, src, 0, MemorySegment.NULL, MemorySegment.NULL), "clEnqueueWriteBuffer"); } catch (Throwable t) { throw rethrow(t); }
    }
    static void readBuffer(MemorySegment q, MemorySegment mem, long offset, long size, MemorySegment dst) {
        try { check((int) H.READ_BUFFER.invokeExact(q, mem, CL_TRUE, offset, size, dst, 0, MemorySegment.NULL, MemorySegment.NULL), "clEnqueueReadBuffer"); } catch (Throwable t) { throw rethrow(t); }
    }
    static void fillBuffer(MemorySegment q, MemorySegment mem, MemorySegment pattern, long patternSize, long offset, long size) {
        try { check((int) H.FILL_BUFFER.invokeExact(q, mem, pattern, patternSize, offset, size, 0, MemorySegment.NULL, MemorySegment.NULL), "clEnqueueFillBuffer"); } catch (Throwable t) { throw rethrow(t); }
    }
    static MemorySegment createProgramWithSource(MemorySegment ctx, MemorySegment strings, MemorySegment lengths, MemorySegment err) {
        try { return (MemorySegment) H.CREATE_PROGRAM.invokeExact(ctx, 1, strings, lengths, err); } catch (Throwable t) { throw rethrow(t); }
    }
    static int buildProgram(MemorySegment program, MemorySegment device, MemorySegment options) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devs = a.allocate(ADDRESS);
            devs.set(ADDRESS, 0, device);
            return (int) H.BUILD_PROGRAM.invokeExact(program, 1, devs, options, MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) { throw rethrow(t); }
        finally { SignalGuard.restore(); }
    }
    static void getProgramBuildInfo(MemorySegment program, MemorySegment device, int what, long size, MemorySegment value, MemorySegment sizeRet) {
        try { check((int) H.BUILD_INFO.invokeExact(program, device, what, size, value, sizeRet), "clGetProgramBuildInfo"); } catch (Throwable t) { throw rethrow(t); }
    }
    static MemorySegment createKernel(MemorySegment program, MemorySegment name, MemorySegment err) {
        try { return (MemorySegment) H.CREATE_KERNEL.invokeExact(program, name, err); } catch (Throwable t) { throw rethrow(t); }
        finally { SignalGuard.restore(); }
    }
    static int setKernelArg(MemorySegment kernel, int index, long size, MemorySegment value) {
        try { return (int) H.SET_KERNEL_ARG.invokeExact(kernel, index, size, value); } catch (Throwable t) { throw rethrow(t); }
    }
    static int enqueueNDRange(MemorySegment q, MemorySegment kernel, int dims, MemorySegment global, MemorySegment local) {
        try { return (int) H.ENQUEUE_ND_RANGE.invokeExact(q, kernel, dims, MemorySegment.NULL, global, local, 0, MemorySegment.NULL, MemorySegment.NULL); } catch (Throwable t) { throw rethrow(t); }
        finally { SignalGuard.restoreIfSegvChanged(); }
    }
    static void finish(MemorySegment q) {
        try { check((int) H.FINISH.invokeExact(q), "clFinish"); } catch (Throwable t) { throw rethrow(t); }
        finally { SignalGuard.restoreIfSegvChanged(); }
    }
    static void releaseMem(MemorySegment m) { release(H.RELEASE_MEM, m); }
    static void releaseKernel(MemorySegment m) { release(H.RELEASE_KERNEL, m); }
    static void releaseProgram(MemorySegment m) { release(H.RELEASE_PROGRAM, m); }
    static void releaseQueue(MemorySegment m) { release(H.RELEASE_QUEUE, m); }
    static void releaseContext(MemorySegment m) { release(H.RELEASE_CONTEXT, m); }

    private static void release(MethodHandle h, MemorySegment m) {
        if (m == null || m.equals(MemorySegment.NULL)) return;
        try { int unused = (int) h.invokeExact(m); } catch (Throwable t) { throw rethrow(t); }
    }

    static final ValueLayout.OfLong SIZE_T = JAVA_LONG;
}
