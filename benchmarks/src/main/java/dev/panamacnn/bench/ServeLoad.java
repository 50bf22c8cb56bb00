package dev.panamacnn.bench;

import dev.panamacnn.models.Sequential;
import dev.panamacnn.serve.ModelServer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Load test of {@code serve} on loopback: {@code CLIENTS} closed-loop clients (virtual threads, the JDK's HttpClient)
 * post one digit picture each, back to back, for {@code SECONDS}, against the server with batching on
 * ({@code --max-batch 64 --max-delay-ms 2}) and off ({@code --max-batch 1}), alternating, {@code ROUNDS} times each, in
 * one process (the two cores are shared by clients and server, as on a small host). Prints a table: requests/s,
 * latency p50 and p99, errors; then the engine's own images/s at batch 1 and 64 in the same process, whose ratio bounds
 * what batching can buy. Usage: {@code ServeLoad MODEL_DIR IMAGE.png [CLIENTS=64] [SECONDS=10] [ROUNDS=2]}.
 */
public final class ServeLoad {
    record Result(String config, double rps, double p50ms, double p99ms, long errors, long requests) {}

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        // a picture, or (a .json file) a body of JSON instances
        byte[] png = Files.readAllBytes(Path.of(args[1]));
        String type = args[1].endsWith(".json") ? "application/json" : "image/png";
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        List<Result> all = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (int batch : new int[] {64, 1}) all.add(run(model, png, type, clients, seconds, batch));
        }
        double[] engine = engineRates(model, 64);   // after the load runs: the JIT has compiled the kernels by then
        System.out.printf(Locale.ROOT, "%d clients, %d s per run, %d rounds, one %s per request, loopback%n", clients, seconds, rounds,
                args[1].endsWith(".json") ? "JSON instance" : "digit picture");
        System.out.println("| configuration | requests/s | p50 ms | p99 ms | errors | requests |");
        System.out.println("|---|---|---|---|---|---|");
        for (Result x : all) {
            System.out.printf(Locale.ROOT, "| %s | %,.0f | %.1f | %.1f | %d | %,d |%n", x.config(), x.rps(), x.p50ms(), x.p99ms(), x.errors(), x.requests());
        }
        double on = all.stream().filter(x -> x.config().startsWith("batching on")).mapToDouble(Result::rps).sorted().toArray()[(rounds - 1) / 2];
        double off = all.stream().filter(x -> x.config().startsWith("batching off")).mapToDouble(Result::rps).sorted().toArray()[(rounds - 1) / 2];
        System.out.printf(Locale.ROOT, "median requests/s: batching on %,.0f, off %,.0f: %.1fx%n", on, off, on / off);
        System.out.printf(Locale.ROOT, "the engine alone, the same model and threads, in this process: batch 1 %,.0f images/s, batch 64 %,.0f images/s: %.1fx%n",
                engine[0], engine[1], engine[1] / engine[0]);
        System.out.printf(Locale.ROOT, "(a request costs the same outside the engine whether it is batched or not, so batching can raise requests/s by at most %.1fx here)%n",
                engine[1] / engine[0]);
    }

    /**
     * Images/s of the model's engine alone at batch 1 and at batch {@code big}, as the server's batcher calls it (input
     * copied into the engine's buffer, {@code predict} into a planned output): each warmed up for 1 s, then timed for 2 s.
     */
    static double[] engineRates(Path dir, int big) throws Exception {
        try (Sequential m = Sequential.load(dir).threads(2); Arena arena = Arena.ofConfined()) {
            var backend = m.backend();
            int in = m.inputShape().size(), classes = m.outputShape().size();
            int cap = backend.reserve(big, false);
            MemorySegment x = arena.allocate((long) cap * in * 4, 64), out = arena.allocate((long) cap * classes * 4, 64);
            for (long i = 0; i < (long) cap * in; i++) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) ((i * 7919) % 256) / 255f);
            double[] r = new double[2];
            int[] sizes = {1, Math.min(big, cap)};
            for (int t = 0; t < 2; t++) {
                int n = sizes[t];
                for (int phase = 0; phase < 2; phase++) {
                    long t0 = System.nanoTime(), until = t0 + (phase == 0 ? 1_000_000_000L : 2_000_000_000L), calls = 0;
                    while (System.nanoTime() < until) {
                        MemorySegment.copy(x, 0, backend.input(), 0, (long) n * in * 4);
                        backend.predict(n, out);
                        calls++;
                    }
                    r[t] = calls * n / ((System.nanoTime() - t0) / 1e9);
                }
            }
            return r;
        }
    }

    static Result run(Path dir, byte[] png, String type, int clients, int seconds, int maxBatch) throws Exception {
        try (Sequential m = Sequential.load(dir).threads(2);
             ModelServer server = new ModelServer(Map.of("mnist", m), Map.of(), ModelServer.Options.defaults().withPort(0).withBatching(maxBatch, 2000))) {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            URI uri = URI.create(server.url() + "v1/models/mnist:predict");
            HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build();
            // warm-up: the JIT, and the batcher at every batch size
            try (ExecutorService warm = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> ws = new ArrayList<>();
                for (int c = 0; c < clients; c++) ws.add(warm.submit(() -> { for (int i = 0; i < 40; i++) client.send(req, HttpResponse.BodyHandlers.discarding()); return null; }));
                for (Future<?> w : ws) w.get();
            }
            AtomicBoolean stop = new AtomicBoolean();
            List<long[]> lat = new ArrayList<>();
            long[] errors = new long[clients];
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<long[]>> fs = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    int id = c;
                    fs.add(pool.submit(() -> {
                        long[] l = new long[1 << 16];
                        int k = 0;
                        while (!stop.get()) {
                            long t0 = System.nanoTime();
                            try {
                                HttpResponse<Void> r = client.send(req, HttpResponse.BodyHandlers.discarding());
                                if (r.statusCode() != 200) errors[id]++;
                            } catch (Exception e) {
                                errors[id]++;
                            }
                            if (k < l.length) l[k++] = System.nanoTime() - t0;
                        }
                        return Arrays.copyOf(l, k);
                    }));
                }
                Thread.sleep(seconds * 1000L);
                stop.set(true);
                for (Future<long[]> f : fs) lat.add(f.get());
            }
            long n = lat.stream().mapToLong(a -> a.length).sum();
            long[] allLat = new long[(int) n];
            int at = 0;
            for (long[] a : lat) { System.arraycopy(a, 0, allLat, at, a.length); at += a.length; }
            Arrays.sort(allLat);
            String cfg = maxBatch > 1 ? "batching on (max-batch " + maxBatch + ", max-delay 2 ms)" : "batching off (max-batch 1)";
            return new Result(cfg, n / (double) seconds, allLat[(int) (n * 0.5)] / 1e6, allLat[(int) Math.min(n - 1, n * 0.99)] / 1e6,
                    Arrays.stream(errors).sum(), n);
        }
    }
}
