package dev.panamacnn.gpu;

import com.aparapi.Kernel;
import dev.panamacnn.opencl.ClContext;
import dev.panamacnn.opencl.ClKernel;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/** Builds each kernel class's OpenCL program once per context and hands out kernel objects with Aparapi's passid set. */
public final class KernelLibrary {
    private final ClContext ctx;
    private final Map<Class<?>, MemorySegment> programs = new HashMap<>();

    public KernelLibrary(ClContext ctx) { this.ctx = ctx; }

    public ClContext context() { return ctx; }

    /** Number of kernel classes built so far. */
    public int programCount() { return programs.size(); }

    /** A new kernel object of class {@code cls}, for one use site ({@code label} names it in errors). */
    public ClKernel create(Class<? extends Kernel> cls, String label) {
        KernelTranslator.Translation t = KernelTranslator.translate(cls);
        MemorySegment program = programs.computeIfAbsent(cls, c -> ctx.buildProgram(t.source(), t.name()));
        ClKernel k = ctx.kernel(program, "run", t.args(), label + " (" + t.name() + ")");
        k.setIfPresent("passid", 0);
        return k;
    }
}
