package dev.panamacnn.cli;

import dev.panamacnn.models.Sequential;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code panama-cnn export}: a saved model as ONNX, for ONNX Runtime and the rest of the ONNX world. */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Write a saved model as ONNX (opset 17; input NHWC 'input', output 'probabilities').")
final class ExportCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A folder written by 'train --save'.")
    Path model;

    @Option(names = "--onnx", required = true, paramLabel = "FILE", description = "The .onnx file to write (atomically).")
    Path onnx;

    @Override public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        Path parent = onnx.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) throw new CommandLine.ParameterException(cl, "--onnx " + onnx + ": no such folder " + parent);
        try (Sequential m = Sequential.load(model)) {
            String name = model.toAbsolutePath().normalize().getFileName().toString();
            try {
                m.exportOnnx(onnx, name);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, e.getMessage());
            }
            cl.getOut().printf("Wrote %s (%,d bytes): graph '%s', input [N, %s], output probabilities [N, %d]%n", onnx, Files.size(onnx), name,
                    m.inputShape().toString().replaceAll("[()]", ""), m.outputShape().size());
        }
        return 0;
    }
}
