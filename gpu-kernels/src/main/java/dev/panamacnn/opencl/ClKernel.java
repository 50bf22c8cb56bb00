package dev.panamacnn.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A {@code cl_kernel} whose arguments are bound by parameter name (the names of the Java kernel's fields). Local
 * arrays are bound once at creation; every other argument must be set before the first launch.
 */
public final class ClKernel {
    final MemorySegment handle;
    private final ClContext ctx;
    private final List<ClArg> args;
    private final boolean[] bound;
    private final String label;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment scratch = arena.allocate(16, 8);
    private final MemorySegment global = arena.allocate(JAVA_LONG, 3), local = arena.allocate(JAVA_LONG, 3);

    ClKernel(ClContext ctx, MemorySegment handle, List<ClArg> args, String label) {
        this.ctx = ctx;
        this.handle = handle;
        this.args = List.copyOf(args);
        this.bound = new boolean[args.size()];
        this.label = label;
        for (int i = 0; i < args.size(); i++) {
            ClArg a = args.get(i);
            if (a.kind() == ClArg.Kind.LOCAL) {
                OpenCL.check(OpenCL.setKernelArg(handle, i, a.localBytes(), MemorySegment.NULL), "clSetKernelArg(" + label + "." + a.name() + ")");
                bound[i] = true;
            }
        }
    }

    public String label() { return label; }

    private int index(String name, ClArg.Kind... kinds) {
        for (int i = 0; i < args.size(); i++) {
            ClArg a = args.get(i);
            if (!a.name().equals(name)) continue;
            for (ClArg.Kind k : kinds) if (a.kind() == k) return i;
            throw new IllegalArgumentException(label + ": argument " + name + " is " + a.kind() + ", not " + List.of(kinds));
        }
        throw new IllegalArgumentException(label + ": the kernel has no argument '" + name + "' (it has " + args.stream().map(ClArg::name).toList() + ")");
    }

    /** Whether the kernel has an argument of this name (the translator drops fields the kernel never reads). */
    public boolean has(String name) {
        for (ClArg a : args) if (a.name().equals(name)) return true;
        return false;
    }

    public ClKernel set(String name, ClBuffer b) {
        int i = index(name, ClArg.Kind.GLOBAL_FLOAT, ClArg.Kind.GLOBAL_INT);
        scratch.set(ADDRESS, 0, b.handle);
        OpenCL.check(OpenCL.setKernelArg(handle, i, ADDRESS.byteSize(), scratch), "clSetKernelArg(" + label + "." + name + ")");
        bound[i] = true;
        return this;
    }

    public ClKernel set(String name, int v) {
        int i = index(name, ClArg.Kind.INT);
        scratch.set(JAVA_INT, 0, v);
        OpenCL.check(OpenCL.setKernelArg(handle, i, 4, scratch), "clSetKernelArg(" + label + "." + name + ")");
        bound[i] = true;
        return this;
    }

    public ClKernel set(String name, float v) {
        int i = index(name, ClArg.Kind.FLOAT);
        scratch.set(JAVA_FLOAT, 0, v);
        OpenCL.check(OpenCL.setKernelArg(handle, i, 4, scratch), "clSetKernelArg(" + label + "." + name + ")");
        bound[i] = true;
        return this;
    }

    /** Sets an int argument only when the kernel declares it. */
    public ClKernel setIfPresent(String name, int v) {
        return has(name) ? set(name, v) : this;
    }

    /** Enqueues a 1-D launch of {@code n} work-items (rounded up to a multiple of {@code localSize}). */
    public void launch(long n, int localSize) {
        launch(new long[] {n}, new long[] {localSize});
    }

    /** Enqueues a launch; each global size is rounded up to a multiple of its local size. */
    public void launch(long[] globalSize, long[] localSize) {
        for (int i = 0; i < bound.length; i++) {
            if (!bound[i]) throw new IllegalStateException(label + ": argument " + args.get(i).name() + " was never set");
        }
        int dims = globalSize.length;
        for (int d = 0; d < dims; d++) {
            long l = localSize[d], g = (globalSize[d] + l - 1) / l * l;
            global.setAtIndex(JAVA_LONG, d, Math.max(g, l));
            local.setAtIndex(JAVA_LONG, d, l);
        }
        int rc = OpenCL.enqueueNDRange(ctx.queue(), handle, dims, global, local);
        if (rc != 0) throw new ClException("clEnqueueNDRangeKernel(" + label + ")", rc);
        ctx.countLaunch();
    }
}
