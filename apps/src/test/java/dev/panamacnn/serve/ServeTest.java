package dev.panamacnn.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The prediction service in process, on a free loopback port, with a small MNIST model trained here and committed
 * ({@code serve/mnist-convnet}: the Keras simple convnet, 3 epochs, test accuracy 0.986) and ten real MNIST test digits
 * drawn dark on white at 112 x 112 ({@code serve/digit-N.png}).
 */
class ServeTest {
    static final Path FIXTURE = Path.of("src/test/resources/serve");
    static final ObjectMapper JSON = new ObjectMapper();
    static ModelServer server;
    static Sequential reference;
    static HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        Sequential served = Sequential.load(FIXTURE.resolve("mnist-convnet")).threads(2);
        reference = Sequential.load(FIXTURE.resolve("mnist-convnet")).threads(1);
        server = new ModelServer(Map.of("mnist", served), Map.of(), ModelServer.Options.defaults().withPort(0).withBatching(32, 3000));
    }

    @AfterAll
    static void stop() {
        server.close();
        reference.close();
    }

    static HttpResponse<String> post(String path, byte[] body, String type) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(server.url() + path.substring(1))).timeout(Duration.ofSeconds(30))
                .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(server.url() + path.substring(1))).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void readsTheTenDigitsFromPictures() throws Exception {
        for (int d = 0; d < 10; d++) {
            HttpResponse<String> r = post("/v1/models/mnist:predict", Files.readAllBytes(FIXTURE.resolve("digit-" + d + ".png")), "image/png");
            assertEquals(200, r.statusCode(), r.body());
            JsonNode p = JSON.readTree(r.body()).path("predictions").get(0);
            assertEquals(d, p.path("class").asInt(), "digit-" + d + ".png: " + r.body());
            assertEquals(10, p.path("probabilities").size());
        }
    }

    @Test
    void describesItsModelsAndItself() throws Exception {
        JsonNode list = JSON.readTree(get("/v1/models").body());
        assertEquals("mnist", list.path("models").get(0).path("name").asText());
        JsonNode m = JSON.readTree(get("/v1/models/mnist").body());
        assertEquals(34_826, m.path("params").asLong());
        assertEquals("[28,28,1]", m.path("input_shape").toString());
        assertTrue(m.path("summary").asText().contains("Total params: 34,826"));
        assertEquals("{\"status\":\"ok\"}", get("/healthz").body());
        String page = get("/").body();
        assertTrue(page.contains("<canvas id=\"pad\"") && !page.contains("http://") && !page.contains("https://"), "the page loads nothing from elsewhere");
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("panamacnn_requests_total") && metrics.contains("panamacnn_batch_size"), metrics);
    }

    static float[][] randomInstances(int n, long seed) {
        Rng r = new Rng(seed);
        float[][] x = new float[n][784];
        for (float[] row : x) for (int i = 0; i < row.length; i++) row[i] = r.nextDouble() < 0.8 ? 0f : (float) r.nextDouble();
        return x;
    }

    static String instancesJson(float[][] x) throws Exception {
        List<float[][]> inst = new ArrayList<>();
        for (float[] row : x) {
            float[][] img = new float[28][28];
            for (int i = 0; i < 784; i++) img[i / 28][i % 28] = row[i];
            inst.add(img);
        }
        return JSON.writeValueAsString(Map.of("instances", inst));
    }

    static synchronized float[] expected(float[][] x) {   // one thread at a time on the reference model
        try (Arena a = Arena.ofConfined()) {
            Tensor t = Tensor.allocate(a, Shape.of(x.length, 28, 28, 1));
            for (int i = 0; i < x.length; i++) for (int j = 0; j < 784; j++) t.set((long) i * 784 + j, x[i][j]);
            return reference.predict(t).toArray();
        }
    }

    @Test
    void concurrentRequestsAreBatchedAndAnsweredSeparately() throws Exception {
        int clients = 32, each = 6;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int id = c;
                fs.add(pool.submit(() -> {
                    for (int k = 0; k < each; k++) {
                        float[][] x = randomInstances(1 + (id + k) % 3, id * 100L + k);
                        HttpResponse<String> r = post("/v1/models/mnist:predict", instancesJson(x).getBytes(StandardCharsets.UTF_8), "application/json");
                        assertEquals(200, r.statusCode(), r.body());
                        JsonNode preds = JSON.readTree(r.body()).path("predictions");
                        float[] want = expected(x);
                        assertEquals(x.length, preds.size());
                        for (int i = 0; i < x.length; i++) {
                            for (int j = 0; j < 10; j++) {
                                assertEquals(want[i * 10 + j], (float) preds.get(i).path("probabilities").get(j).asDouble(), 1e-6,
                                        "client " + id + " request " + k + " instance " + i);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        }
        String metrics = get("/metrics").body();
        double max = metrics.lines().filter(l -> l.startsWith("panamacnn_batch_size_max")).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).max().orElse(0);
        assertTrue(max > 3, "requests were gathered into batches (largest " + max + ")");
    }

    @Test
    void badRequestsGetTheir4xxWhileGoodClientsAreServed() throws Exception {
        byte[] png = Files.readAllBytes(FIXTURE.resolve("digit-3.png"));
        byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2);
        byte[] huge = new byte[5 << 20];
        Object[][] bad = {
                {"/v1/models/mnist:predict", huge, "application/octet-stream", 413, "at most"},
                {"/v1/models/mnist:predict", truncated, "image/png", 400, "request body"},
                {"/v1/models/mnist:predict", "hello".getBytes(), "text/plain", 400, "not an image"},
                {"/v1/models/mnist:predict", "{\"instances\": [[1, 2".getBytes(), "application/json", 400, "malformed JSON"},
                {"/v1/models/mnist:predict", "{\"instances\": [[[1]]]}".getBytes(), "application/json", 400, "instances[0][0]"},
                {"/v1/models/mnist:predict", "{\"inputs\": []}".getBytes(), "application/json", 400, "\\\"instances\\\""},
                {"/v1/models/nope:predict", png, "image/png", 404, "no model named 'nope'"},
                {"/v2/whatever", png, "image/png", 404, "no such resource"},
        };
        AtomicInteger good = new AtomicInteger();
        long before = usedHeapAfterGc();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                fs.add(pool.submit(() -> {
                    for (int k = 0; k < 25; k++) {
                        HttpResponse<String> r = post("/v1/models/mnist:predict", png, "image/png");
                        assertEquals(200, r.statusCode(), r.body());
                        assertEquals(3, JSON.readTree(r.body()).path("predictions").get(0).path("class").asInt());
                        good.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (int c = 0; c < 4; c++) {
                fs.add(pool.submit(() -> {
                    for (int k = 0; k < 30; k++) {
                        Object[] b = bad[k % bad.length];
                        HttpResponse<String> r = post((String) b[0], (byte[]) b[1], (String) b[2]);
                        assertEquals((int) b[3], r.statusCode(), b[0] + " " + b[2] + ": " + r.body());
                        assertTrue(r.body().contains((String) b[4]), r.body());
                        assertTrue(JSON.readTree(r.body()).has("error"), r.body());
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        }
        assertEquals(100, good.get());
        long after = usedHeapAfterGc();
        assertTrue(after - before < 64L << 20, "heap grew by " + ((after - before) >> 20) + " MiB over 120 bad requests");
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(server.url() + "v1/models/mnist:predict")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, r.statusCode());
    }

    static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }

    @Test
    void aSlowClientDoesNotHoldUpOthers() throws Exception {
        try (Socket slow = new Socket("127.0.0.1", server.port())) {
            OutputStream o = slow.getOutputStream();
            o.write("POST /v1/models/mnist:predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 5000\r\n\r\n12345".getBytes());
            o.flush();
            long t0 = System.nanoTime();
            HttpResponse<String> r = post("/v1/models/mnist:predict", Files.readAllBytes(FIXTURE.resolve("digit-5.png")), "image/png");
            assertEquals(200, r.statusCode());
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "answered while a slow client holds its connection open");
        }
    }
}
