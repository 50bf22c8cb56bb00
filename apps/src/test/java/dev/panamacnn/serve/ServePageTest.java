package dev.panamacnn.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamacnn.models.Sequential;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The draw-a-digit page in a real browser: headless Chromium (Debian's) driven by playwright-core
 * ({@code src/test/js/page-test.mjs}) draws a 1 and a 7 with the mouse on the page's canvas, reads the digit the page
 * shows, and uploads a picture of a test digit 4. CI installs Chromium and playwright-core and sets
 * {@code PANAMA_CNN_REQUIRE_BROWSER=1}, so there a missing browser fails the test; elsewhere it is skipped, saying why.
 * The screenshot goes to {@code target/serve-page.png} (docs/serving.md shows one).
 */
class ServePageTest {
    static final Path JS = Path.of("src/test/js");

    static String missing() {
        String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
        if (!Files.isExecutable(Path.of(chromium))) return "no Chromium at " + chromium + " (Debian package chromium)";
        if (!Files.isDirectory(JS.resolve("node_modules/playwright-core"))) return "no playwright-core in " + JS.toAbsolutePath() + " (npm install there)";
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) return "node does not run";
        } catch (Exception e) {
            return "no node on the PATH";
        }
        return null;
    }

    @Test
    void drawsAndUploadsDigitsInHeadlessChromium() throws Exception {
        String why = missing();
        if (why != null) {
            if ("1".equals(System.getenv("PANAMA_CNN_REQUIRE_BROWSER"))) fail("the browser test must run here: " + why);
            Assumptions.abort("browser test skipped: " + why);
        }
        try (Sequential model = Sequential.load(ServeTest.FIXTURE.resolve("mnist-convnet")).threads(2);
             ModelServer server = new ModelServer(Map.of("mnist", model), Map.of(), ModelServer.Options.defaults().withPort(0))) {
            Path shot = Path.of("target/serve-page.png").toAbsolutePath();
            Files.createDirectories(shot.getParent());
            Process p = new ProcessBuilder("node", "page-test.mjs", server.url(), shot.toString(),
                    ServeTest.FIXTURE.resolve("digit-4.png").toAbsolutePath().toString()).directory(JS.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the browser script finished");
            assertEquals(0, p.exitValue(), out);
            String line = out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow(() -> new AssertionError(out));
            JsonNode r = new ObjectMapper().readTree(line);
            assertEquals("1", r.path("one").asText(), "the drawn 1: " + line);
            assertEquals("7", r.path("seven").asText(), "the drawn 7: " + line);
            assertEquals("4", r.path("uploaded").asText(), "the uploaded 4: " + line);
            assertEquals(10, r.path("bars").size());
            assertTrue(Files.size(shot) > 1000, "a screenshot was taken");
        }
    }
}
