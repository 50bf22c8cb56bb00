package dev.panamacnn.cli;

import dev.panamacnn.models.Sequential;
import dev.panamacnn.runtime.Parallel;
import dev.panamacnn.serve.ModelServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code panama-cnn serve}: saved models over HTTP, with dynamic batching and the draw-a-digit page. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve saved models over HTTP: POST /v1/models/{name}:predict (an image or JSON instances), GET /v1/models,",
                "/healthz, /metrics, and the draw-a-digit page at /. Stops cleanly on Ctrl-C or SIGTERM."})
final class ServeCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin BackendOptions backend;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A folder written by 'train --save' (repeat to serve several).")
    List<Path> models;

    @Option(names = "--name", paramLabel = "NAME", description = "The served names, in --model order (default: each folder's name).")
    List<String> names = new ArrayList<>();

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}, loopback only).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--max-batch", defaultValue = "64", description = "Most instances gathered into one engine batch (default: ${DEFAULT-VALUE}; 1 turns batching off).")
    int maxBatch;

    @Option(names = "--max-delay-ms", defaultValue = "2", description = "Longest wait for more requests after the first of a batch (default: ${DEFAULT-VALUE}).")
    double maxDelayMs;

    @Option(names = "--max-body-bytes", defaultValue = "4194304", description = "Largest request body (default: ${DEFAULT-VALUE}).")
    int maxBody;

    @Option(names = "--threads", description = "Engine threads per model (default: all processors).")
    Integer threads;

    @Override public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        PrintWriter out = cl.getOut();
        if (port < 0 || port > 65535) throw new CommandLine.ParameterException(cl, "--port must be in 0..65535, got " + port);
        if (maxBatch < 1 || maxBatch > 4096) throw new CommandLine.ParameterException(cl, "--max-batch must be in 1..4096, got " + maxBatch);
        if (!(maxDelayMs >= 0 && maxDelayMs <= 1000)) throw new CommandLine.ParameterException(cl, "--max-delay-ms must be in 0..1000, got " + maxDelayMs);
        if (maxBody < 1024) throw new CommandLine.ParameterException(cl, "--max-body-bytes must be >= 1024, got " + maxBody);
        if (!names.isEmpty() && names.size() != models.size()) throw new CommandLine.ParameterException(cl, "--name must be given once per --model");
        // a slow client may hold its connection this long, no more (the JDK server reads these at start)
        System.setProperty("sun.net.httpserver.maxReqTime", "30");
        System.setProperty("sun.net.httpserver.maxRspTime", "30");
        Map<String, Sequential> loaded = new LinkedHashMap<>();
        Map<String, String> where = new LinkedHashMap<>();
        List<dev.panamacnn.exec.Backend> devices = new ArrayList<>();
        try {
            for (int i = 0; i < models.size(); i++) {
                Path dir = models.get(i);
                String name = names.isEmpty() ? dir.toAbsolutePath().normalize().getFileName().toString() : names.get(i);
                if (!name.matches("[A-Za-z0-9._-]+")) throw new CommandLine.ParameterException(cl, "model name '" + name + "': use letters, digits, '.', '_' or '-'");
                if (loaded.containsKey(name)) throw new CommandLine.ParameterException(cl, "two models are named '" + name + "': give --name");
                Sequential m = Sequential.load(dir);
                m.threads(threads != null ? threads : Parallel.defaultThreads());
                loaded.put(name, m);
                dev.panamacnn.exec.Backend b = backend.attachForInference(m, maxBatch, out);   // null: the CPU engine
                if (b != null) devices.add(b);
                where.put(name, m.backend().description());
            }
            ModelServer.Options o = new ModelServer.Options(host, port, maxBatch, (long) (maxDelayMs * 1000), maxBody, 1024, 4096, 30_000);
            ModelServer server = new ModelServer(loaded, where, o);
            CountDownLatch stopped = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                out.println("Stopping: finishing the requests in flight ...");
                out.flush();
                server.stop(5);
                stopped.countDown();
            });
            Runtime.getRuntime().addShutdownHook(hook);
            out.printf("Serving %s at %s (batches of up to %d, waiting up to %s ms; Ctrl-C stops)%n", String.join(", ", server.modelNames()), server.url(),
                    maxBatch, maxDelayMs);
            out.flush();
            stopped.await();
            return 0;
        } finally {
            for (dev.panamacnn.exec.Backend b : devices) b.close();
            for (Sequential m : loaded.values()) m.close();
        }
    }
}
