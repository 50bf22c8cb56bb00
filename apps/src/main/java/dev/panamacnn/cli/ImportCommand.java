package dev.panamacnn.cli;

import dev.panamacnn.models.Sequential;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code panama-cnn import}: an ONNX model (e.g. from {@code torch.onnx.export}) as a panama-cnn model folder. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Read an ONNX model (a chain of Conv, Gemm, pooling, BatchNormalization, activations ...), or a Keras model",
                "(--keras-json from model.to_json() and --keras-weights: .weights.h5, .keras or a Keras 2 .h5), and save it as a model folder."})
final class ImportCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--onnx", paramLabel = "FILE", description = "The .onnx file.")
    Path onnx;

    @Option(names = "--keras-json", paramLabel = "FILE", description = "The architecture, as Keras' model.to_json() wrote it.")
    Path kerasJson;

    @Option(names = "--keras-weights", paramLabel = "FILE", description = "Its weights: a Keras 3 .weights.h5, a .keras archive, or a Keras 2 .h5.")
    Path kerasWeights;

    @Option(names = "--save", required = true, paramLabel = "DIR", description = "The model folder to write (model.json, weights.bin).")
    Path save;

    @Override public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if ((onnx == null) == (kerasJson == null)) throw new CommandLine.ParameterException(cl, "give --onnx FILE, or --keras-json FILE with --keras-weights FILE");
        if (kerasJson != null && kerasWeights == null) throw new CommandLine.ParameterException(cl, "--keras-json needs --keras-weights");
        Dirs.requireWritableDir(save, "--save");
        try (Sequential m = onnx != null ? Sequential.fromOnnx(onnx)
                : Sequential.fromKeras(kerasJson, kerasWeights, new dev.panamacnn.optim.Adam(), dev.panamacnn.loss.Loss.CATEGORICAL_CROSSENTROPY,
                        dev.panamacnn.loss.Metric.ACCURACY)) {
            cl.getOut().print(m.summary());
            for (String note : m.importNotes()) cl.getOut().println("Note: " + note);
            m.save(save);
            cl.getOut().println("Saved the model to " + save + " (it takes NHWC inputs of shape " + m.inputShape() + ")");
        }
        return 0;
    }
}
