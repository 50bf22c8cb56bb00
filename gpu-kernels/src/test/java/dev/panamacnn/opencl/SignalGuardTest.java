package dev.panamacnn.opencl;

import org.junit.jupiter.api.Tag;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM started without libjsig keeps its own signal handlers after an OpenCL driver starts (PoCL's LLVM
 * replaces SIGSEGV's and others when it initializes; the JVM then died with SIGSEGV at its next safepoint).
 */
@Tag("slow")
class SignalGuardTest {

    /** Child: starts the drivers, checks that no JVM handler is left replaced, then forces many safepoints. */
    public static void main(String[] args) throws Exception {
        int devices = ClPlatforms.devices().size();
        List<Integer> left = SignalGuard.restore();
        if (!left.isEmpty()) {
            System.out.println("handlers still replaced after discovery: " + left);
            System.exit(1);
        }
        Thread[] workers = new Thread[2];
        for (int t = 0; t < workers.length; t++) {
            workers[t] = new Thread(() -> {
                double x = 0;
                for (int i = 0; i < 200_000_000; i++) x += Math.sqrt(i);
                if (x == 42) System.out.println(x);
            });
            workers[t].start();
        }
        for (int i = 0; i < 50; i++) { System.gc(); Thread.sleep(5); }   // safepoints while the workers run compiled loops
        for (Thread w : workers) w.join();
        System.out.println("handlers intact, " + devices + " device(s)");
    }

    @Test
    void jvmKeepsItsSignalHandlersWithoutLibjsig() throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name", "").toLowerCase().contains("linux"), "Linux only");
        Assumptions.assumeTrue(OpenCL.available() && !ClPlatforms.devices().isEmpty() || dev.panamacnn.runtime.Flags.requireOpenCl(),
                "no OpenCL device");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", cp, SignalGuardTest.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("LD_PRELOAD");   // no signal chaining: the guard alone must keep the JVM alive
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not finish: " + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("handlers intact"), out);
    }
}
