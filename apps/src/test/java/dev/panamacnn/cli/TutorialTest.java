package dev.panamacnn.cli;

import org.junit.jupiter.api.Tag;

import dev.panamacnn.data.SyntheticDigits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs docs/tutorial.jsh in JShell to the end (on a small synthetic data set, 1 epoch) and checks that its
 * output has exactly the shape of the real run shown in docs/tutorial-output.txt: the same lines, cell by cell,
 * once numbers, the digit picture and repeated epochs are normalized.
 */
@Tag("slow")
class TutorialTest {
    @TempDir Path dir;

    static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("docs/tutorial.jsh"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("docs/tutorial.jsh not found above " + Path.of("").toAbsolutePath());
        return p;
    }

    static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /** Numbers to '#', picture rows to one marker, warnings dropped, repeated epoch blocks collapsed. */
    static List<String> normalize(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            if (l.startsWith("warning: ") || l.startsWith("MNIST ") || l.isBlank() && out.isEmpty()) continue;
            String n;
            if (!l.isEmpty() && l.chars().allMatch(c -> " .:-=+*#%@".indexOf(c) >= 0)) n = "<pixels>";
            else n = l.replaceAll("[0-9]+(\\.[0-9]+)?", "#").replaceAll("\\[[#, ]+\\]", "[#...]").replaceAll(" +$", "");
            if (n.equals("<pixels>") && !out.isEmpty() && out.get(out.size() - 1).equals("<pixels>")) continue;
            if (n.contains("<pixels>") || n.isBlank()) { if (!n.isBlank()) out.add(n); continue; }
            out.add(n);
            int s = out.size();   // "Epoch #/#" + progress line, repeated: keep one pair
            if (s >= 4 && out.get(s - 1).equals(out.get(s - 3)) && out.get(s - 2).equals(out.get(s - 4))) {
                out.remove(s - 1);
                out.remove(s - 2);
            }
        }
        return out;
    }

    @Test
    void jshellTutorialRunsToTheEndAndMatchesTheDocs() throws Exception {
        Path data = dir.resolve("data");
        SyntheticDigits.write(data.resolve("mnist"), 512, 100, 3);
        Path repo = repo();
        String jshell = Path.of(System.getProperty("java.home"), "bin", "jshell").toString();
        List<String> cmd = List.of(jshell, "--class-path", classPath(), "--add-modules", "jdk.incubator.vector",
                "-R--add-modules", "-Rjdk.incubator.vector", "-R--enable-native-access=ALL-UNNAMED", "-R-Djava.awt.headless=true",
                "-R-Duser.home=" + dir, "--feedback", "silent", repo.resolve("docs/tutorial.jsh").toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().put("PANAMA_CNN_DATA", data.toString());
        pb.environment().put("TUTORIAL_EPOCHS", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out + Files.readString(dir.resolve("err.txt")));
        assertTrue(out.contains("[8] reloaded model predicts"), "ran to the end:\n" + out + Files.readString(dir.resolve("err.txt")));
        assertTrue(Files.exists(dir.resolve("x_train-0.png")) && Files.exists(dir.resolve("mnist-cnn/weights.bin")));
        List<String> expected = normalize(Files.readAllLines(repo.resolve("docs/tutorial-output.txt")));
        List<String> actual = normalize(out.lines().toList());
        assertEquals(String.join("\n", expected), String.join("\n", actual));
    }
}
