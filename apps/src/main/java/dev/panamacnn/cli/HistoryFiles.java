package dev.panamacnn.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.panamacnn.data.AtomicFiles;
import dev.panamacnn.train.History;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Writes a History as {@code history.csv} (one row per epoch) and {@code history.json} (Keras' history dict). */
final class HistoryFiles {
    private HistoryFiles() {}

    static void write(History h, Path dir) throws IOException {
        List<String> keys = new ArrayList<>(h.history().keySet());
        StringBuilder csv = new StringBuilder("epoch");
        for (String k : keys) csv.append(',').append(k);
        csv.append(",seconds\n");
        for (int e = 0; e < h.epochs(); e++) {
            csv.append(e + 1);
            for (String k : keys) csv.append(',').append(String.format(Locale.ROOT, "%.6f", h.get(k).get(e)));
            csv.append(',').append(String.format(Locale.ROOT, "%.3f", h.epochSeconds().get(e))).append('\n');
        }
        AtomicFiles.write(dir.resolve("history.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        h.history().forEach((k, v) -> root.set(k, json.valueToTree(v)));
        root.set("epoch_seconds", json.valueToTree(h.epochSeconds()));
        AtomicFiles.write(dir.resolve("history.json"), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }
}
