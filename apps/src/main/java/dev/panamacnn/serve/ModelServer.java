package dev.panamacnn.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.panamacnn.data.DigitImages;
import dev.panamacnn.models.Sequential;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The prediction service: the JDK's {@code HttpServer} with a virtual thread per request (docs/serving.md says why),
 * one {@link Batcher} per model, Micrometer's Prometheus registry for {@code /metrics}.
 *
 * <ul>
 *   <li>{@code POST /v1/models/{name}:predict}: an image body (PNG, JPEG, BMP, GIF, PGM; MNIST-style models), or JSON
 *       {@code {"instances": [...]}}; answers {@code {"model": name, "predictions": [{"class": 7, "probabilities": [...]}]}}.</li>
 *   <li>{@code GET /v1/models}, {@code GET /v1/models/{name}}, {@code GET /healthz}, {@code GET /metrics}, {@code GET /}
 *       (the draw-a-digit page).</li>
 * </ul>
 * Client errors get their 4xx status and {@code {"error": "one line"}}; nothing is logged for them.
 */
public final class ModelServer implements AutoCloseable {
    /** Settings; {@link #defaults()} are the command line's. */
    public record Options(String host, int port, int maxBatch, long maxDelayMicros, int maxBodyBytes, int maxInstances, int queueCapacity,
                          long requestTimeoutMillis) {
        public static Options defaults() { return new Options("127.0.0.1", 8080, 64, 2000, 4 << 20, 1024, 4096, 30_000); }
        public Options withPort(int p) { return new Options(host, p, maxBatch, maxDelayMicros, maxBodyBytes, maxInstances, queueCapacity, requestTimeoutMillis); }
        public Options withBatching(int batch, long delayMicros) { return new Options(host, port, batch, delayMicros, maxBodyBytes, maxInstances, queueCapacity, requestTimeoutMillis); }
        public Options withHost(String h) { return new Options(h, port, maxBatch, maxDelayMicros, maxBodyBytes, maxInstances, queueCapacity, requestTimeoutMillis); }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Options options;
    private final Map<String, ServedModel> models = new LinkedHashMap<>();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final byte[] page;

    /** Serves {@code named} (name to compiled model), bound to {@code options.host():options.port()} (0: a free port). */
    public ModelServer(Map<String, Sequential> named, Map<String, String> backends, Options options) throws IOException {
        if (named.isEmpty()) throw new IllegalArgumentException("no model to serve");
        this.options = options;
        for (var e : named.entrySet()) {
            DistributionSummary sizes = DistributionSummary.builder("panamacnn_batch_size").description("instances per engine batch")
                    .tag("model", e.getKey()).publishPercentiles(0.5, 0.99).register(registry);
            Batcher b = new Batcher(e.getValue(), options.maxBatch(), options.maxDelayMicros(), options.queueCapacity(), sizes);
            Gauge.builder("panamacnn_queue_depth", b, Batcher::queued).description("requests waiting for a batch").tag("model", e.getKey()).register(registry);
            models.put(e.getKey(), new ServedModel(e.getKey(), e.getValue(), b, backends.getOrDefault(e.getKey(), "CPU engine")));
        }
        try (InputStream in = ModelServer.class.getResourceAsStream("index.html")) {
            page = in.readAllBytes();
        }
        http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 128);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
    }

    /** The bound port (useful with port 0). */
    public int port() { return http.getAddress().getPort(); }

    /** The address to print, e.g. {@code http://127.0.0.1:8080/}. */
    public String url() { return "http://" + (options.host().contains(":") ? "[" + options.host() + "]" : options.host()) + ":" + port() + "/"; }

    public List<String> modelNames() { return List.copyOf(models.keySet()); }

    private void handle(HttpExchange ex) {
        long t0 = System.nanoTime();
        String path = ex.getRequestURI().getPath(), method = ex.getRequestMethod(), route = "other";
        int status;
        try {
            if (path.equals("/") || path.equals("/index.html")) {
                route = "page";
                requireMethod(method, "GET");
                status = send(ex, 200, "text/html; charset=utf-8", page);
            } else if (path.equals("/healthz")) {
                route = "healthz";
                requireMethod(method, "GET");
                status = send(ex, 200, "application/json", "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8));
            } else if (path.equals("/metrics")) {
                route = "metrics";
                requireMethod(method, "GET");
                status = send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape().getBytes(StandardCharsets.UTF_8));
            } else if (path.equals("/v1/models") || path.equals("/v1/models/")) {
                route = "models";
                requireMethod(method, "GET");
                ObjectNode o = JSON.createObjectNode();
                ArrayNode a = o.putArray("models");
                for (ServedModel m : models.values()) a.add(describe(m));
                status = sendJson(ex, 200, o);
            } else if (path.startsWith("/v1/models/")) {
                String rest = path.substring("/v1/models/".length());
                if (rest.endsWith(":predict")) {
                    route = "predict";
                    requireMethod(method, "POST");
                    status = predict(ex, model(rest.substring(0, rest.length() - ":predict".length())));
                } else {
                    route = "model";
                    requireMethod(method, "GET");
                    status = sendJson(ex, 200, describe(model(rest)));
                }
            } else {
                throw new RequestException(404, "no such resource: " + path + " (try /, /v1/models, /v1/models/{name}:predict, /healthz, /metrics)");
            }
        } catch (RequestException e) {
            status = error(ex, e.status, e.getMessage());
        } catch (Batcher.Overloaded e) {
            status = error(ex, 503, e.getMessage());
        } catch (IOException e) {
            status = 499;   // the client went away or was too slow; nothing to answer
        } catch (RuntimeException e) {
            System.err.println("panama-cnn serve: " + method + " " + path + " failed: " + e);
            status = error(ex, 500, "internal error: " + e.getMessage());
        } finally {
            ex.close();
        }
        Counter.builder("panamacnn_requests_total").description("requests by route and status").tag("route", route).tag("status", Integer.toString(status))
                .register(registry).increment();
        Timer.builder("panamacnn_request_seconds").description("request latency").tag("route", route).publishPercentiles(0.5, 0.9, 0.99)
                .register(registry).record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) throw new RequestException(405, method + " is not allowed here; use " + expected);
    }

    private ServedModel model(String name) {
        ServedModel m = models.get(name);
        if (m == null) throw new RequestException(404, "no model named '" + name + "' (served: " + String.join(", ", models.keySet()) + ")");
        return m;
    }

    private ObjectNode describe(ServedModel m) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", m.name());
        ArrayNode in = o.putArray("input_shape");
        for (int d : m.inputShape().dims()) in.add(d);
        o.put("classes", m.classes());
        o.put("params", m.model().paramCount());
        o.put("backend", m.backend());
        o.put("max_batch", m.batcher().maxBatch());
        o.put("accepts", m.takesDigitImages() ? "an image body (PNG, JPEG, BMP, GIF, PGM) or JSON {\"instances\": [...]}" : "JSON {\"instances\": [...]}");
        o.put("summary", m.model().summary());
        return o;
    }

    private int predict(HttpExchange ex, ServedModel m) throws IOException {
        byte[] body = readBody(ex);
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        boolean json = (type != null && type.toLowerCase(Locale.ROOT).startsWith("application/json")) || (body.length > 0 && body[0] == '{');
        float[] x;
        int n;
        if (json) {
            Instances.Parsed p = Instances.parse(body, m.inputShape(), options.maxInstances());
            x = p.x();
            n = p.n();
        } else {
            if (!m.takesDigitImages()) {
                throw new RequestException(400, "model '" + m.name() + "' takes " + Instances.shapeText(m.inputShape()) + " inputs: send JSON {\"instances\": [...]}");
            }
            try {
                x = DigitImages.load("request body", body);
            } catch (DigitImages.ImageFormatException e) {
                throw new RequestException(400, e.getMessage());
            }
            n = 1;
        }
        float[] probs;
        try {
            probs = m.batcher().submit(x, n).get(options.requestTimeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new RequestException(503, "no answer within " + options.requestTimeoutMillis() + " ms (the server is overloaded)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RequestException(503, "interrupted");
        } catch (ExecutionException e) {
            throw new RuntimeException(e.getCause());
        }
        int classes = m.classes();
        ObjectNode o = JSON.createObjectNode();
        o.put("model", m.name());
        ArrayNode preds = o.putArray("predictions");
        for (int i = 0; i < n; i++) {
            ObjectNode p = preds.addObject();
            int best = 0;
            ArrayNode pr = p.putArray("probabilities");
            for (int j = 0; j < classes; j++) {
                float v = probs[i * classes + j];
                pr.add(v);
                if (v > probs[i * classes + best]) best = j;
            }
            p.put("class", best);
        }
        return sendJson(ex, 200, o);
    }

    /** The body, refused with 413 past the limit (from Content-Length before reading, else while reading). */
    private byte[] readBody(HttpExchange ex) throws IOException {
        int limit = options.maxBodyBytes();
        String len = ex.getRequestHeaders().getFirst("Content-Length");
        if (len != null) {
            long declared;
            try {
                declared = Long.parseLong(len.trim());
            } catch (NumberFormatException e) {
                throw new RequestException(400, "Content-Length '" + len + "' is not a number");
            }
            if (declared > limit) {
                // read a moderately oversized body away so that the client can read the answer; a far larger one is cut off
                if (declared <= 4L * limit) {
                    try (InputStream in = ex.getRequestBody()) {
                        in.transferTo(OutputStream.nullOutputStream());   // bounded by Content-Length
                    }
                }
                throw new RequestException(413, "the body is " + declared + " bytes; at most " + limit + " are accepted");
            }
        }
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes(limit + 1);
            if (b.length > limit) throw new RequestException(413, "the body is over " + limit + " bytes, the most accepted");
            return b;
        }
    }

    private int error(HttpExchange ex, int status, String message) {
        ObjectNode o = JSON.createObjectNode();
        o.put("error", message);
        try {
            return sendJson(ex, status, o);
        } catch (IOException e) {
            return status;
        }
    }

    private int sendJson(HttpExchange ex, int status, ObjectNode o) throws IOException {
        return send(ex, status, "application/json", JSON.writeValueAsBytes(o));
    }

    private static int send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
        return status;
    }

    /** Stops accepting connections, lets the requests in flight finish (up to {@code graceSeconds}), then the batchers. */
    public void stop(int graceSeconds) {
        http.stop(graceSeconds);
        for (ServedModel m : models.values()) m.batcher().close();
        executor.shutdown();
    }

    @Override public void close() { stop(0); }
}
