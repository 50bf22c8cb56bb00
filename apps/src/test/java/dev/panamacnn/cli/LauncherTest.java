package dev.panamacnn.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code bin/panama-cnn}'s AOT cache for {@code predict} (JDK 25+): recorded once per build, only by a predict that
 * classifies files and succeeds (a cache recorded over {@code predict --help} held half the classes and made every
 * later predict slower), reused while no jar is newer, recorded again when one is, and never mixed into predict's
 * output. The launcher runs on a copy of this build laid out as {@code apps/target} (the jar and {@code lib/}), so
 * the test needs no packaged build and cannot start Maven.
 */
@Tag("slow")
class LauncherTest {
    static final Path REPO = Path.of("").toAbsolutePath().getParent();
    static final Path FIXTURE = Path.of("src/test/resources/serve").toAbsolutePath();
    @TempDir Path root;

    record Run(int code, String out, String err) {}

    @Test
    void predictRecordsItsAotCacheOnlyFromARealPredictAndReusesIt() throws Exception {
        assumeTrue(Runtime.version().feature() >= 25, "JDK 25's AOT cache (-XX:AOTCacheOutput)");
        Path jar = layOut();
        Path cache = root.resolve("apps/target/panama-cnn-predict.aot");
        String model = FIXTURE.resolve("mnist-convnet").toString(), digit = FIXTURE.resolve("digit-7.png").toString();

        Run help = launch("predict", "--help");
        assertEquals(0, help.code(), help.err());
        assertTrue(help.out().contains("--model"), help.out());
        assertFalse(Files.exists(cache), "predict --help recorded a cache");

        Run missing = launch("predict", "--model", model, root.resolve("none.png").toString());
        assertNotEquals(0, missing.code(), missing.out());
        assertFalse(Files.exists(cache), "a failed predict recorded a cache");
        assertNoTemporaryFiles();

        Run first = launch("predict", "--model", model, digit);
        assertEquals(0, first.code(), first.err());
        assertTrue(first.err().contains("recording the AOT cache"), first.err());
        assertTrue(Files.size(cache) > 1_000_000, "cache of " + Files.size(cache) + " bytes");
        assertNoTemporaryFiles();
        // predict's own lines only: the JVM's report of the cache's assembly goes elsewhere
        assertTrue(first.out().contains("digit-7.png"), first.out());
        assertFalse(first.out().toLowerCase().contains("aot"), first.out());

        FileTime recorded = Files.getLastModifiedTime(cache);
        Run again = launch("predict", "--model", model, digit);
        assertEquals(0, again.code(), again.err());
        assertFalse(again.err().contains("recording"), again.err());
        assertEquals(first.out(), again.out(), "the same prediction with the cache");
        assertEquals(recorded, Files.getLastModifiedTime(cache));

        // a newer jar (a rebuild) makes the cache stale: the next predict records a new one
        Files.setLastModifiedTime(cache, FileTime.fromMillis(recorded.toMillis() - 10_000));
        Files.setLastModifiedTime(jar, FileTime.fromMillis(recorded.toMillis() - 5_000));
        Run rebuilt = launch("predict", "--model", model, digit);
        assertEquals(0, rebuilt.code(), rebuilt.err());
        assertTrue(rebuilt.err().contains("recording the AOT cache"), rebuilt.err());
        assertEquals(first.out(), rebuilt.out());
        assertTrue(Files.getLastModifiedTime(cache).compareTo(Files.getLastModifiedTime(jar)) > 0, "the new cache is newer than the jar");

        Run off = launchWith("0", "predict", "--model", model, digit);
        assertEquals(0, off.code(), off.err());
        assertEquals(first.out(), off.out(), "PANAMA_CNN_AOT=0");
    }

    private void assertNoTemporaryFiles() throws IOException {
        try (Stream<Path> s = Files.list(root.resolve("apps/target"))) {
            List<String> left = s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp")).toList();
            assertTrue(left.isEmpty(), "left behind: " + left);
        }
    }

    /**
     * The launcher and its JDK finder in {@code bin/}; this test run's classes and libraries as the launcher expects a
     * build: the apps jar (named as the launcher names it) and every other class path entry in {@code lib/}.
     */
    private Path layOut() throws IOException {
        Files.createDirectories(root.resolve("bin"));
        for (String f : new String[] {"panama-cnn", "java-env.sh"}) {
            Files.copy(REPO.resolve("bin").resolve(f), root.resolve("bin").resolve(f));
        }
        Matcher m = Pattern.compile("JAR=\"\\$ROOT/apps/target/([^\"]+\\.jar)\"").matcher(Files.readString(REPO.resolve("bin/panama-cnn")));
        assertTrue(m.find(), "bin/panama-cnn names its jar");
        Path target = root.resolve("apps/target"), lib = Files.createDirectories(target.resolve("lib"));
        Path jar = target.resolve(m.group(1));
        Path appsClasses = Path.of("target/classes").toAbsolutePath();
        int n = 0;
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e).toAbsolutePath();
            if (p.equals(appsClasses)) jarUp(p, jar);
            else if (Files.isDirectory(p) && !p.endsWith("test-classes")) jarUp(p, lib.resolve("dir" + n++ + ".jar"));
            else if (Files.isRegularFile(p) && e.endsWith(".jar")) Files.copy(p, lib.resolve(p.getFileName()));
        }
        assertTrue(Files.exists(jar), "the apps classes on the class path: " + appsClasses);
        return jar;
    }

    private static void jarUp(Path dir, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                out.putNextEntry(new JarEntry(dir.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, (OutputStream) out);
                out.closeEntry();
            }
        }
    }

    private Run launch(String... args) throws Exception {
        return launchWith(null, args);
    }

    private Run launchWith(String aot, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", root.resolve("bin/panama-cnn").toString()));
        cmd.addAll(List.of(args));
        Path out = root.resolve("out.txt"), err = root.resolve("err.txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("PANAMA_CNN_JAVA_OPTS");
        if (aot == null) pb.environment().remove("PANAMA_CNN_AOT");
        else pb.environment().put("PANAMA_CNN_AOT", aot);
        Process p = pb.start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", args) + ": no exit after 180 s");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
