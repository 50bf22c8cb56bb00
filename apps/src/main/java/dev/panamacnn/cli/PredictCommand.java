package dev.panamacnn.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.panamacnn.data.DigitImages;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code panama-cnn predict --model DIR FILE...}: classify pictures of digits (or test-set images with --index). */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Classify digit images (PNG, JPEG, BMP, GIF, PGM; any size, either polarity) with a saved model.")
final class PredictCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin DataOptions data;
    @CommandLine.Mixin BackendOptions backend;

    @Option(names = "--model", required = true, description = "Folder written by 'train --save'.")
    Path model;

    @Parameters(arity = "0..*", paramLabel = "FILE", description = "Images to classify.")
    List<Path> files = new ArrayList<>();

    @Option(names = "--index", description = "Classify test-set image N instead of files.")
    Integer index;

    @Option(names = "--json", description = "Machine-readable output.")
    boolean json;

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        CommandLine cl = spec.commandLine();
        if (index == null && files.isEmpty()) throw new CommandLine.ParameterException(cl, "give image files or --index N");
        if (index != null && !files.isEmpty()) throw new CommandLine.ParameterException(cl, "give either image files or --index, not both");
        List<String> names = new ArrayList<>();
        List<float[]> inputs = new ArrayList<>();
        Integer label = null;
        if (index != null) {
            Mnist mnist = data.load(out);
            if (index < 0 || index >= mnist.test().size()) {
                throw new CommandLine.ParameterException(cl, "--index must be in 0.." + (mnist.test().size() - 1) + ", got " + index);
            }
            inputs.add(mnist.test().slice(index, 1).x().toArray());
            names.add("test[" + index + "]");
            label = mnist.test().label(index);
        } else {
            for (Path f : files) {           // decode everything first: one bad file stops before any output
                inputs.add(DigitImages.load(f));
                names.add(f.toString());
            }
        }
        try (Sequential m = Sequential.load(model); Arena arena = Arena.ofConfined()) {
            if (!m.inputShape().equals(Shape.of(28, 28, 1))) {
                throw new IllegalArgumentException(model + ": the model takes inputs of shape " + m.inputShape() + ", not 28x28x1 digits");
            }
            Tensor x = Tensor.allocate(arena, Shape.of(inputs.size(), 28, 28, 1));
            for (int i = 0; i < inputs.size(); i++) {
                float[] a = inputs.get(i);
                for (int j = 0; j < 784; j++) x.set((long) i * 784 + j, a[j]);
            }
            Tensor p;
            // the backend line goes to stderr, so --json output stays clean
            try (var acc = backend.attachForPredict(m, inputs.size(), spec.commandLine().getErr())) {
                p = m.predict(x);
            }
            int classes = p.shape().dim(1);
            ObjectMapper mapper = new ObjectMapper();
            ArrayNode arr = mapper.createArrayNode();
            for (int i = 0; i < inputs.size(); i++) {
                int best = 0;
                double[] probs = new double[classes];
                for (int c = 0; c < classes; c++) {
                    probs[c] = p.get((long) i * classes + c);
                    if (probs[c] > probs[best]) best = c;
                }
                if (json) {
                    ObjectNode o = arr.addObject();
                    o.put("input", names.get(i));
                    o.put("digit", best);
                    if (label != null) o.put("label", label);
                    ArrayNode pa = o.putArray("probabilities");
                    for (double v : probs) pa.add(Math.round(v * 1e6) / 1e6);
                } else {
                    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s: %d (%.1f%%)", names.get(i), best, 100 * probs[best]));
                    if (label != null) sb.append(" label ").append(label);
                    sb.append("   ");
                    for (int c = 0; c < classes; c++) sb.append(String.format(Locale.ROOT, " %d:%.3f", c, probs[c]));
                    out.println(sb);
                }
            }
            if (json) out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(arr));
            out.flush();
        }
        return 0;
    }
}
