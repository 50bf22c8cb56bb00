package dev.panamacnn.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One OpenCL context and one in-order command queue on one device, and everything created in it. Every transfer
 * between host and device goes through {@link #write} and {@link #read}, which count the bytes, so the engine can
 * prove what crosses the bus per step. Not thread-safe: one thread at a time drives it (any thread).
 */
public final class ClContext implements AutoCloseable {
    private final ClDevice device;
    private final MemorySegment context, queue;
    private final List<ClBuffer> buffers = new ArrayList<>();
    private final List<ClKernel> kernels = new ArrayList<>();
    private final List<MemorySegment> programs = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment err, zero;
    private long bytesToDevice, bytesFromDevice, writes, reads, launches, allocated;
    private boolean closed;

    public ClContext(ClDevice device) {
        this.device = device;
        err = arena.allocate(JAVA_INT);
        zero = arena.allocate(JAVA_INT);
        MemorySegment devs = arena.allocate(ADDRESS);
        devs.set(ADDRESS, 0, device.handle());
        context = OpenCL.createContext(devs, 1, err);
        OpenCL.check(err.get(JAVA_INT, 0), "clCreateContext");
        queue = OpenCL.createCommandQueue(context, device.handle(), err);
        int rc = err.get(JAVA_INT, 0);
        if (rc != 0) {
            OpenCL.releaseContext(context);
            throw new ClException("clCreateCommandQueue", rc);
        }
    }

    public ClDevice device() { return device; }

    /** A zero-filled device buffer of {@code bytes} bytes. */
    public ClBuffer buffer(long bytes, String label) {
        MemorySegment h = OpenCL.createBuffer(context, OpenCL.CL_MEM_READ_WRITE, Math.max(4, bytes), err);
        int rc = err.get(JAVA_INT, 0);
        if (rc != 0) {
            throw ClException.detailed("clCreateBuffer(" + label + ", " + bytes + " bytes) failed: " + OpenCL.errorName(rc)
                    + " on " + device.name() + " with " + (device.globalMemBytes() >> 20) + " MiB", rc);
        }
        ClBuffer b = new ClBuffer(h, Math.max(4, bytes), label);
        buffers.add(b);
        allocated += b.bytes();
        fillZero(b, 0, b.bytes());
        return b;
    }

    /** Copies {@code bytes} bytes from host memory {@code src} to the buffer at {@code offset}; blocks until done. */
    public void write(ClBuffer dst, long offset, MemorySegment src, long bytes) {
        checkRange(dst, offset, bytes, "write");
        if (src.byteSize() < bytes) throw new IllegalArgumentException("write of " + bytes + " bytes from a " + src.byteSize() + "-byte host segment");
        if (bytes == 0) return;
        OpenCL.writeBuffer(queue, dst.handle, offset, bytes, src);
        bytesToDevice += bytes;
        writes++;
    }

    /** Copies {@code bytes} bytes of the buffer at {@code offset} into host memory {@code dst}; blocks until done. */
    public void read(ClBuffer src, long offset, MemorySegment dst, long bytes) {
        checkRange(src, offset, bytes, "read");
        if (dst.byteSize() < bytes) throw new IllegalArgumentException("read of " + bytes + " bytes into a " + dst.byteSize() + "-byte host segment");
        if (bytes == 0) return;
        OpenCL.readBuffer(queue, src.handle, offset, bytes, dst);
        bytesFromDevice += bytes;
        reads++;
    }

    /** Zeroes a byte range on the device (no host transfer). */
    public void fillZero(ClBuffer b, long offset, long bytes) {
        checkRange(b, offset, bytes, "fill");
        OpenCL.fillBuffer(queue, b.handle, zero, 4, offset, bytes);
    }

    private static void checkRange(ClBuffer b, long offset, long bytes, String what) {
        if (offset < 0 || bytes < 0 || offset + bytes > b.bytes()) {
            throw new IndexOutOfBoundsException(what + " of bytes [" + offset + ", " + (offset + bytes) + ") outside " + b);
        }
    }

    /**
     * Builds OpenCL C source for this device and returns the {@code cl_program}. A build failure throws with the
     * compiler's log and the source.
     */
    public MemorySegment buildProgram(String source, String label) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocateFrom(source, StandardCharsets.UTF_8);
            MemorySegment strings = a.allocate(ADDRESS);
            strings.set(ADDRESS, 0, src);
            MemorySegment lengths = a.allocate(JAVA_LONG);
            lengths.set(JAVA_LONG, 0, src.byteSize() - 1);
            MemorySegment program = OpenCL.createProgramWithSource(context, strings, lengths, err);
            OpenCL.check(err.get(JAVA_INT, 0), "clCreateProgramWithSource(" + label + ")");
            programs.add(program);
            int rc = OpenCL.buildProgram(program, device.handle(), a.allocateFrom("-cl-std=CL1.2", StandardCharsets.UTF_8));
            if (rc != 0) {
                throw ClException.detailed("clBuildProgram(" + label + ") failed: " + OpenCL.errorName(rc) + " on " + device.name()
                        + "\n--- build log ---\n" + buildLog(program) + "\n--- source ---\n" + source, rc);
            }
            return program;
        }
    }

    private String buildLog(MemorySegment program) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            OpenCL.getProgramBuildInfo(program, device.handle(), OpenCL.CL_PROGRAM_BUILD_LOG, 0, MemorySegment.NULL, size);
            MemorySegment buf = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            OpenCL.getProgramBuildInfo(program, device.handle(), OpenCL.CL_PROGRAM_BUILD_LOG, buf.byteSize(), buf, MemorySegment.NULL);
            return buf.getString(0, StandardCharsets.UTF_8).trim();
        } catch (RuntimeException e) {
            return "(no build log: " + e.getMessage() + ")";
        }
    }

    /** A new kernel object for {@code name} in a built program; each use site gets its own, so arguments stay bound. */
    public ClKernel kernel(MemorySegment program, String name, List<ClArg> args, String label) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = OpenCL.createKernel(program, a.allocateFrom(name, StandardCharsets.UTF_8), err);
            OpenCL.check(err.get(JAVA_INT, 0), "clCreateKernel(" + label + ")");
            ClKernel ck = new ClKernel(this, k, args, label);
            kernels.add(ck);
            return ck;
        }
    }

    MemorySegment queue() { return queue; }
    void countLaunch() { launches++; }

    /** Waits for every queued command. */
    public void finish() { OpenCL.finish(queue); }

    public long bytesToDevice() { return bytesToDevice; }
    public long bytesFromDevice() { return bytesFromDevice; }
    public long writes() { return writes; }
    public long reads() { return reads; }
    public long launches() { return launches; }

    /** Bytes of device memory in this context's buffers. */
    public long allocatedBytes() { return allocated; }

    @Override public void close() {
        if (closed) return;
        closed = true;
        try { OpenCL.finish(queue); } catch (RuntimeException ignored) { }
        for (ClKernel k : kernels) OpenCL.releaseKernel(k.handle);
        for (MemorySegment p : programs) OpenCL.releaseProgram(p);
        for (ClBuffer b : buffers) OpenCL.releaseMem(b.handle);
        OpenCL.releaseQueue(queue);
        OpenCL.releaseContext(context);
        arena.close();
    }
}
