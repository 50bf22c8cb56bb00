package dev.panamacnn.cli;

import dev.panamacnn.models.Sequential;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code panama-cnn import}: an ONNX model (e.g. from {@code torch.onnx.export}) as a panama-cnn model folder. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Read an ONNX model (a chain of Conv, Gemm, pooling, BatchNormalization, activations ...) and save it as a model folder.")
final class ImportCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--onnx", required = true, paramLabel = "FILE", description = "The .onnx file.")
    Path onnx;

    @Option(names = "--save", required = true, paramLabel = "DIR", description = "The model folder to write (model.json, weights.bin).")
    Path save;

    @Override public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        Dirs.requireWritableDir(save, "--save");
        try (Sequential m = Sequential.fromOnnx(onnx)) {
            cl.getOut().print(m.summary());
            for (String note : m.importNotes()) cl.getOut().println("Note: " + note);
            m.save(save);
            cl.getOut().println("Saved the model to " + save + " (it takes NHWC inputs of shape " + m.inputShape() + ")");
        }
        return 0;
    }
}
