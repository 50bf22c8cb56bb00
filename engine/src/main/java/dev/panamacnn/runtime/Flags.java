package dev.panamacnn.runtime;

import java.nio.file.Path;

/**
 * Every setting panama-cnn reads from a {@code -D} system property or an environment variable, read here and
 * nowhere else (docs/architecture.md lists them in one table). Each is read once, when first used.
 */
public final class Flags {
    private Flags() {}

    /** {@code -Dpanamacnn.vector=false}: scalar GEMM micro-kernels instead of the Vector API ones (for comparisons). */
    public static final boolean VECTOR = !"false".equals(System.getProperty("panamacnn.vector"));

    /**
     * {@code -Dpanamacnn.tile=halves|whole}: whether the 8-row GEMM and convolution micro-kernels run as two 4-row
     * passes (same bits either way). Default: halves where vectors are narrower than 512 bits on x86 (AVX2: 16
     * vector registers, too few for the whole tile), whole elsewhere.
     */
    public static boolean halfTiles(int vectorBits) {
        String v = System.getProperty("panamacnn.tile");
        if (v == null) {
            String arch = System.getProperty("os.arch", "");
            return (arch.equals("amd64") || arch.equals("x86_64")) && vectorBits < 512;
        }
        if (!v.equals("halves") && !v.equals("whole")) throw new IllegalArgumentException("-Dpanamacnn.tile: halves or whole, got '" + v + "'");
        return v.equals("halves");
    }

    /** {@code -Dpanamacnn.directB=false}: always pack B in the GEMM, even where it can be read in place. */
    public static final boolean DIRECT_B = !"false".equals(System.getProperty("panamacnn.directB"));

    /** {@code -Dpanamacnn.gemvRows=N}: dense layers on batches of up to N samples use the GEMV path (0 turns it off; default 4). */
    public static final int GEMV_ROWS = Integer.getInteger("panamacnn.gemvRows", 4);

    /** {@code -Dpanamacnn.gemvPack=false}: predict's GEMV path reads dense kernels in place instead of from a packed copy. */
    public static final boolean GEMV_PACK = !"false".equals(System.getProperty("panamacnn.gemvPack"));

    /**
     * {@code -Dpanamacnn.gemvSparse=false}: predict's GEMV path reads every row of a dense kernel instead of skipping
     * the rows whose input is zero in every sample of the call (same bits either way, {@link dev.panamacnn.ops.Gemv#gemvSparse}).
     */
    public static final boolean GEMV_SPARSE = !"false".equals(System.getProperty("panamacnn.gemvSparse"));

    /** {@code -Dpanamacnn.gemvSplit=false}: the GEMV path stays on the calling thread instead of splitting columns between threads. */
    public static final boolean GEMV_SPLIT = !"false".equals(System.getProperty("panamacnn.gemvSplit"));

    /** {@code -Dpanamacnn.splitAlone=false}: a lone sample's convolution (predict on 1) stays on one thread instead of splitting its rows, tiles or pooled rows. */
    public static final boolean SPLIT_ALONE = !"false".equals(System.getProperty("panamacnn.splitAlone"));

    /** {@code -Dpanamacnn.fusion=false}: the CPU backend runs a first convolution and its pooling as two layers. */
    public static final boolean FUSION = !"false".equals(System.getProperty("panamacnn.fusion"));

    /**
     * {@code -Dpanamacnn.winograd=off|predict|on}: where 5 x 5 stride-1 convolutions run as Winograd
     * ({@link dev.panamacnn.ops.Winograd}: the forward pass as F(2x2, 5x5), 2.78x fewer multiply-adds, and in
     * training the kernel gradient as F(5x5, 2x2), the same transforms transposed; slightly different rounding):
     * everywhere (the default since 2026-12-03: the tutorial's test accuracy over seeds 42, 1 and 2 is within seed
     * noise of the direct path's, docs/performance.md), in predict and evaluate only (training then
     * bit-identical to the direct path; the default from 2026-12-02 to 2026-12-03), or nowhere (every result
     * bit-identical to the direct path). Read each time a layer allocates its workspace.
     */
    public static String winograd() {
        String v = System.getProperty("panamacnn.winograd", "on");
        if (!v.equals("off") && !v.equals("predict") && !v.equals("on")) {
            throw new IllegalArgumentException("-Dpanamacnn.winograd: off, predict or on, got '" + v + "'");
        }
        return v;
    }

    /**
     * {@code -Dpanamacnn.winograd4=false}: 5 x 5 stride-1 convolutions whose sides are multiples of 4 run their
     * Winograd forward pass as F(2x2, 5x5) instead of F(4x4, 5x5) ({@link dev.panamacnn.ops.Winograd4}: 2.25x fewer
     * multiply-adds again, a larger rounding error), and training's input gradient as the scatter GEMM instead of
     * F(4x4, 5x5). Only where {@link #winograd()} is not {@code off} (inference) or is {@code on} (training). Read
     * each time a layer allocates its workspace.
     */
    public static boolean winograd4() {
        String v = System.getProperty("panamacnn.winograd4", "true");
        if (!v.equals("true") && !v.equals("false")) throw new IllegalArgumentException("-Dpanamacnn.winograd4: true or false, got '" + v + "'");
        return v.equals("true");
    }

    /**
     * {@code -Dpanamacnn.winograd4.kernelGradient=false}: training's kernel gradient of a layer on F(4x4, 5x5) stays
     * on {@link dev.panamacnn.ops.Winograd}'s F(5x5, 2x2) instead of {@link dev.panamacnn.ops.Winograd4}'s F(5x5, 4x4)
     * (2.25x fewer multiply-adds, a larger rounding error; the bits training had before it). Only where
     * {@link #winograd()} is {@code on} and {@link #winograd4()} holds. Read each time a layer allocates its workspace.
     */
    public static boolean winograd4KernelGradient() {
        String v = System.getProperty("panamacnn.winograd4.kernelGradient", "true");
        if (!v.equals("true") && !v.equals("false")) throw new IllegalArgumentException("-Dpanamacnn.winograd4.kernelGradient: true or false, got '" + v + "'");
        return v.equals("true");
    }

    /** {@code $PANAMA_CNN_DATA}: where MNIST and checkpoints go (default {@code ~/.cache/panama-cnn}). */
    public static Path dataHome() {
        String env = System.getenv("PANAMA_CNN_DATA");
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".cache", "panama-cnn");
    }

    /**
     * {@code -Dpanamacnn.opencl.library}, else {@code $PANAMA_CNN_OPENCL_LIBRARY}, else {@code libOpenCL.so.1}: the
     * OpenCL ICD loader the OpenCL backend opens.
     */
    public static String openClLibrary() {
        return System.getProperty("panamacnn.opencl.library", System.getenv().getOrDefault("PANAMA_CNN_OPENCL_LIBRARY", "libOpenCL.so.1"));
    }

    /** {@code $TORNADOVM_HOME}: the TornadoVM SDK that {@code bin/panama-cnn-tornado} runs with (null when unset). */
    public static String tornadoHome() {
        String h = System.getenv("TORNADOVM_HOME");
        return h == null || h.isBlank() ? null : h;
    }

    /** {@code $PANAMA_CNN_REQUIRE_OPENCL=1}: tests that need an OpenCL device fail instead of skipping without one (CI sets it). */
    public static boolean requireOpenCl() { return "1".equals(System.getenv("PANAMA_CNN_REQUIRE_OPENCL")); }

    /** {@code $PANAMA_CNN_OPENCL_DEVICE=N}: the OpenCL device the tests use (default: the first one). */
    public static String testOpenClDevice() { return System.getenv("PANAMA_CNN_OPENCL_DEVICE"); }

    /** {@code -Dpanamacnn.bench.device=N}: the OpenCL device the benchmarks use (default: the first GPU, else the first device). */
    public static String benchDevice() { return System.getProperty("panamacnn.bench.device"); }

    /** {@code -Dpanamacnn.bench.tornado.device=D:D}: the TornadoVM device the benchmarks use (default: its first GPU, else its first device). */
    public static String benchTornadoDevice() { return System.getProperty("panamacnn.bench.tornado.device"); }
}
