package dev.panamacnn.cli;

import org.junit.jupiter.api.Tag;

import dev.panamacnn.data.SyntheticDigits;
import dev.panamacnn.opencl.ClPlatforms;
import dev.panamacnn.opencl.OpenCL;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backend choice through the CLI, in child JVMs whose OpenCL environment we control: fallback is never silent. */
@Tag("slow")
class BackendTest {
    @TempDir Path dir;

    record Run(int code, String output) {}

    private Run cli(Map<String, String> env, List<String> jvmArgs, String... args) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(javaBin, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), PanamaCnn.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        return new Run(p.waitFor(), out);
    }

    private Path data() throws Exception {
        Path d = dir.resolve("data");
        SyntheticDigits.write(d, 300, 100, 9);
        return d;
    }

    /** With an ICD loader that finds no platform (an empty vendors folder), opencl fails and auto says CPU. */
    @Test void noOpenClPlatformVisible() throws Exception {
        Assumptions.assumeTrue(OpenCL.available(), "needs the OpenCL ICD loader (libOpenCL.so.1)");
        Path empty = Files.createDirectories(dir.resolve("no-vendors"));
        Map<String, String> env = Map.of("OCL_ICD_VENDORS", empty.toString());
        String data = data().toString();
        Run opencl = cli(env, List.of(), "train", "--backend", "opencl", "--data-dir", data, "--offline", "--epochs", "1", "--no-checkpoint");
        System.out.println("--backend opencl without a platform:\n" + opencl.output());
        assertEquals(1, opencl.code(), opencl.output());
        assertTrue(opencl.output().contains("--backend opencl: no OpenCL platform is visible"), opencl.output());
        assertFalse(opencl.output().contains("Epoch 1/1"), "no training may start: " + opencl.output());
        assertFalse(opencl.output().contains("Exception"), "one clean line, no stack trace: " + opencl.output());

        Run auto = cli(env, List.of(), "train", "--data-dir", data, "--offline", "--epochs", "1", "--batch-size", "50", "--no-checkpoint");
        assertEquals(0, auto.code(), auto.output());
        assertTrue(auto.output().contains("Backend: CPU engine (auto: no OpenCL platform is visible"), auto.output());
        assertTrue(auto.output().contains("Test accuracy:"), auto.output());

        Run devices = cli(env, List.of(), "devices");
        assertEquals(0, devices.code(), devices.output());
        assertTrue(devices.output().contains("no platform is visible"), devices.output());
    }

    /** Without the OpenCL library at all. */
    @Test void noOpenClLibrary() throws Exception {
        List<String> jvm = List.of("-Dpanamacnn.opencl.library=" + dir.resolve("libOpenCL-missing.so"));
        String data = data().toString();
        Run opencl = cli(Map.of(), jvm, "train", "--backend", "opencl", "--data-dir", data, "--offline", "--no-checkpoint");
        assertEquals(1, opencl.code(), opencl.output());
        assertTrue(opencl.output().contains("--backend opencl: cannot load the OpenCL library"), opencl.output());
        Run auto = cli(Map.of(), jvm, "train", "--device", "0", "--data-dir", data, "--offline", "--no-checkpoint");
        assertEquals(1, auto.code(), "--device also demands OpenCL: " + auto.output());
        Run cpu = cli(Map.of(), jvm, "train", "--data-dir", data, "--offline", "--epochs", "1", "--batch-size", "50", "--no-checkpoint");
        assertEquals(0, cpu.code(), cpu.output());
        assertTrue(cpu.output().contains("Backend: CPU engine (auto: no OpenCL library"), cpu.output());
    }

    /** The tutorial network through the CLI on the OpenCL device (PoCL in CI) against the CPU engine. */
    @Test void trainOnOpenClMatchesTheCpuEngine() throws Exception {
        Assumptions.assumeTrue(OpenCL.available() && !ClPlatforms.devices().isEmpty(), "needs an OpenCL device");
        String data = data().toString();
        String[] common = {"train", "--data-dir", data, "--offline", "--epochs", "1", "--batch-size", "50", "--limit", "200", "--no-checkpoint"};
        Run gpu = cli(Map.of(), List.of(), concat(common, "--backend", "opencl"));
        Run cpu = cli(Map.of(), List.of(), concat(common, "--backend", "cpu"));
        System.out.println(gpu.output());
        assertEquals(0, gpu.code(), gpu.output());
        assertTrue(gpu.output().contains("OpenCL device: "), "names the device: " + gpu.output());
        assertEquals(accuracy(cpu.output()), accuracy(gpu.output()), 0.005, "test accuracy, CPU vs OpenCL");
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static double accuracy(String out) {
        for (String line : out.split("\n")) if (line.startsWith("Test accuracy: ")) return Double.parseDouble(line.substring(15).trim());
        throw new AssertionError("no test accuracy in:\n" + out);
    }
}
