package dev.panamacnn.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Keeps the JVM's signal handlers in place around the OpenCL calls that start a driver.
 *
 * <p>An OpenCL driver built on LLVM (PoCL, for one) installs LLVM's crash handlers for SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE and others when it initializes or compiles, over the JVM's. The JVM needs its SIGSEGV handler for
 * safepoints and implicit null checks, so the process later dies with SIGSEGV (exit status 139, no hs_err file)
 * at a random moment. The JDK's remedy is signal chaining: start the JVM with
 * {@code LD_PRELOAD=$JAVA_HOME/lib/libjsig.so}, which every launcher and test run of this project does. This
 * guard records the JVM's handlers before the first OpenCL call and puts back any that a driver replaced after
 * each call that may load or run LLVM; when SIGSEGV, SIGBUS, SIGILL or SIGFPE had been replaced (no libjsig),
 * it says so once on stderr. (A driver thread could still replace them between two such calls, which is why
 * libjsig is the real fix.) Even with libjsig, PoCL replaces SIGHUP, SIGINT, SIGUSR2 and SIGTERM, which libjsig
 * does not hold for the JVM; the guard puts those back too, so Ctrl-C still reaches the JVM.
 *
 * <p>Linux/glibc only ({@code struct sigaction} is treated as opaque bytes); elsewhere it does nothing.
 */
final class SignalGuard {
    private SignalGuard() {}

    /** The signals the JVM handles itself on Linux: SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGBUS, SIGFPE, SIGSEGV, SIGUSR2, SIGPIPE, SIGTERM, SIGXFSZ. */
    private static final int[] SIGNALS = {1, 2, 3, 4, 7, 8, 11, 12, 13, 15, 25};
    /** Bytes kept per {@code struct sigaction} (glibc x86-64 and aarch64 use 152). */
    private static final long SLOT = 256;

    private static final MethodHandle SIGACTION;
    private static final boolean ACTIVE;
    private static final MemorySegment SAVED, CURRENT;
    private static final boolean[] HELD = new boolean[SIGNALS.length];
    private static boolean captured, warned;

    static {
        MethodHandle h = null;
        boolean active = false;
        try {
            Linker linker = Linker.nativeLinker();
            boolean linux = System.getProperty("os.name", "").toLowerCase().contains("linux");
            // libc's own sigaction (not an LD_PRELOADed libjsig's), so this sees and sets what the kernel will call
            Optional<MemorySegment> sym = linker.defaultLookup().find("sigaction");
            if (linux && sym.isPresent()) {
                h = linker.downcallHandle(sym.get(), FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
                active = true;
            }
        } catch (RuntimeException e) {
            active = false;
        }
        SIGACTION = h;
        ACTIVE = active;
        SAVED = ACTIVE ? Arena.global().allocate(SLOT * SIGNALS.length, 16) : MemorySegment.NULL;
        CURRENT = ACTIVE ? Arena.global().allocate(SLOT, 16) : MemorySegment.NULL;
    }

    /** Whether the guard works in this JVM (Linux). */
    static boolean active() { return ACTIVE; }

    /** Records the JVM's handlers; call before the first OpenCL call. Later calls do nothing. */
    static synchronized void capture() {
        if (!ACTIVE || captured) return;
        for (int i = 0; i < SIGNALS.length; i++) {
            MemorySegment slot = SAVED.asSlice(i * SLOT, SLOT);
            HELD[i] = sigaction(SIGNALS[i], MemorySegment.NULL, slot) == 0 && handler(slot) > 1;  // not SIG_DFL/SIG_IGN
        }
        captured = true;
    }

    /** Puts back every recorded handler that something replaced; returns the signals restored. */
    static synchronized List<Integer> restore() {
        if (!ACTIVE || !captured) return List.of();
        List<Integer> restored = new ArrayList<>();
        for (int i = 0; i < SIGNALS.length; i++) {
            if (!HELD[i]) continue;
            MemorySegment slot = SAVED.asSlice(i * SLOT, SLOT);
            if (sigaction(SIGNALS[i], MemorySegment.NULL, CURRENT) == 0 && handler(CURRENT) != handler(slot)) {
                sigaction(SIGNALS[i], slot, MemorySegment.NULL);
                restored.add(SIGNALS[i]);
            }
        }
        boolean fatal = restored.contains(4) || restored.contains(7) || restored.contains(8) || restored.contains(11);
        if (fatal && !warned) {   // with libjsig preloaded only SIGHUP/SIGINT/SIGUSR2/SIGTERM get replaced: no warning
            warned = true;
            System.err.println("warning: the OpenCL driver replaced the JVM's handlers for signals " + restored
                    + "; they were put back. Start the JVM with LD_PRELOAD=" + System.getProperty("java.home")
                    + "/lib/libjsig.so to chain them safely (bin/panama-cnn does).");
        }
        return restored;
    }

    /** A cheaper check for hot paths: compares SIGSEGV's handler only, and restores all when it changed. */
    static void restoreIfSegvChanged() {
        if (!ACTIVE || !captured) return;
        int i = 6;  // SIGNALS[6] == 11, SIGSEGV
        synchronized (SignalGuard.class) {
            if (sigaction(SIGNALS[i], MemorySegment.NULL, CURRENT) != 0 || handler(CURRENT) == handler(SAVED.asSlice(i * SLOT, SLOT))) return;
        }
        restore();
    }

    private static long handler(MemorySegment sa) { return sa.get(JAVA_LONG, 0); }

    private static int sigaction(int sig, MemorySegment act, MemorySegment old) {
        try {
            return (int) SIGACTION.invokeExact(sig, act, old);
        } catch (Throwable t) {
            return -1;
        }
    }
}
