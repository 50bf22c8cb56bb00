package dev.panamacnn.gpu;

import dev.panamacnn.gpu.kernels.ColumnSum;
import dev.panamacnn.opencl.ClContext;
import dev.panamacnn.opencl.ClException;
import dev.panamacnn.opencl.ClKernel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The host runtime's errors: each names the call, the OpenCL code and what was being done. */
class OpenClRuntimeTest {
    static ClContext ctx;

    @BeforeAll static void open() { ctx = new ClContext(OpenClTestDevice.get()); }

    @AfterAll static void close() { if (ctx != null) ctx.close(); }

    @Test void anImpossibleBufferNamesTheCallTheCodeAndTheBuffer() {
        ClException e = assertThrows(ClException.class, () -> ctx.buffer(Long.MAX_VALUE / 4, "activations of a huge layer"));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().startsWith("clCreateBuffer(activations of a huge layer, "), e.getMessage());
        assertTrue(e.getMessage().matches(".*CL_[A-Z_]+ \\(-\\d+\\).*"), "names the code: " + e.getMessage());
        assertTrue(e.code() < 0);
    }

    @Test void aBuildFailureCarriesTheCompilerLogAndTheSource() {
        ClException e = assertThrows(ClException.class,
                () -> ctx.buildProgram("__kernel void run(__global float *x) { x[0] = undefined_name; }", "Broken"));
        assertTrue(e.getMessage().startsWith("clBuildProgram(Broken) failed: CL_BUILD_PROGRAM_FAILURE (-11)"), e.getMessage());
        assertTrue(e.getMessage().contains("undefined_name"), "log and source are in the message: " + e.getMessage());
    }

    @Test void argumentsAreBoundByNameAndCheckedBeforeALaunch() {
        ClKernel k = new KernelLibrary(ctx).create(ColumnSum.class, "bias gradient");
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> k.set("colums", 3));
        assertTrue(wrong.getMessage().contains("no argument 'colums'"), wrong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> k.set("cols", 1.5f), "an int argument refuses a float");
        k.set("cols", 4).set("rows", 2).set("outOff", 0).set("out", ctx.buffer(16, "out"));
        IllegalStateException unset = assertThrows(IllegalStateException.class, () -> k.launch(4, 4));
        assertTrue(unset.getMessage().contains("argument d was never set"), unset.getMessage());
    }

    @Test void transfersAreRangeCheckedAndCounted() {
        var b = ctx.buffer(64, "small");
        long in = ctx.bytesToDevice();
        try (Arena a = Arena.ofConfined()) {
            var host = a.allocate(128);
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.write(b, 32, host, 64));
            ctx.write(b, 0, host, 64);
            ctx.read(b, 16, host, 16);
        }
        assertEquals(in + 64, ctx.bytesToDevice());
    }
}
