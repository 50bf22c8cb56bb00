package dev.panamacnn.cli;

import dev.panamacnn.data.Mnist;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.train.EvalResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code panama-cnn evaluate --model DIR}: test loss and accuracy of a saved model on the MNIST test set. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, description = "Evaluate a saved model on the MNIST test set.")
final class EvaluateCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin DataOptions data;
    @CommandLine.Mixin BackendOptions backend;

    @Option(names = "--model", required = true, description = "Folder written by 'train --save'.")
    Path model;

    @Option(names = "--threads", description = "Worker threads (default: all processors).")
    Integer threads;

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (threads != null && threads < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be >= 1, got " + threads);
        try (Sequential m = Sequential.load(model)) {
            if (threads != null) m.threads(threads);
            Mnist mnist = data.load(out);
            EvalResult r;
            try (var acc = backend.attachForInference(m, 1000, out)) {
                r = m.evaluate(mnist.test(), 1000);
            }
            out.printf(Locale.ROOT, "Test loss: %.4f%nTest accuracy: %.4f%n", r.loss(), r.accuracy());
        }
        return 0;
    }
}
