package dev.panamacnn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamacnn.data.Dataset;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.awt.Color;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code panama-cnn report --model DIR}: confusion matrix, misclassified digits and training curves as PNGs. */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate a saved model on the test set and draw: confusion.png, misclassified.png, training-curves.png.")
final class ReportCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin DataOptions data;

    @Option(names = "--model", required = true, description = "Folder written by 'train --save'.")
    Path model;

    @Option(names = "--out", description = "Folder for the pictures (default: the model folder).")
    Path out;

    @Override public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        Path dir = out != null ? out : model;
        Dirs.requireWritableDir(dir, "--out");
        try (Sequential m = Sequential.load(model)) {
            Mnist mnist = data.load(o);
            Dataset test = mnist.test();
            Tensor p = m.predict(test.x(), 1000);
            int classes = p.shape().dim(1);
            int[][] cm = new int[classes][classes];
            List<float[]> wrong = new ArrayList<>();
            List<String> caps = new ArrayList<>();
            List<Color> colors = new ArrayList<>();
            int correct = 0;
            for (int i = 0; i < test.size(); i++) {
                int best = 0;
                for (int c = 1; c < classes; c++) if (p.get((long) i * classes + c) > p.get((long) i * classes + best)) best = c;
                int t = test.label(i);
                cm[t][best]++;
                if (best == t) correct++;
                else if (wrong.size() < 64) {
                    wrong.add(test.slice(i, 1).x().toArray());
                    caps.add(String.format(Locale.ROOT, "%d->%d %.2f", t, best, p.get((long) i * classes + best)));
                    colors.add(new Color(0xb2182b));
                }
            }
            Pictures.write(Pictures.confusion(cm), dir.resolve("confusion.png"));
            o.println("confusion matrix written to " + dir.resolve("confusion.png"));
            if (!wrong.isEmpty()) {
                Pictures.write(Pictures.grid(wrong, caps, colors, 8, 3), dir.resolve("misclassified.png"));
                o.println("first " + wrong.size() + " misclassified test digits (true->predicted probability) written to " + dir.resolve("misclassified.png"));
            }
            Path hist = model.resolve("history.json");
            if (Files.isRegularFile(hist)) {
                JsonNode h = new ObjectMapper().readTree(hist.toFile());
                Map<String, List<Double>> series = new LinkedHashMap<>();
                h.fields().forEachRemaining(e -> {
                    if (e.getKey().equals("epoch_seconds") || !e.getValue().isArray()) return;
                    List<Double> v = new ArrayList<>();
                    e.getValue().forEach(x -> v.add(x.asDouble()));
                    series.put(e.getKey(), v);
                });
                Pictures.write(Pictures.curves(series), dir.resolve("training-curves.png"));
                o.println("training curves written to " + dir.resolve("training-curves.png"));
            } else {
                o.println("no history.json in " + model + ": no training curves");
            }
            o.printf(Locale.ROOT, "Test accuracy: %.4f (%d of %d)%n", (double) correct / test.size(), correct, test.size());
        }
        o.flush();
        return 0;
    }
}
