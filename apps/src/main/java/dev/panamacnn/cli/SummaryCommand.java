package dev.panamacnn.cli;

import dev.panamacnn.loss.Loss;
import dev.panamacnn.models.Models;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.loss.Metric;
import picocli.CommandLine.Command;

/** {@code panama-cnn summary}: the tutorial network's Keras-style summary. */
@Command(name = "summary", mixinStandardHelpOptions = true, description = "Print the tutorial network's layer table and parameter count.")
final class SummaryCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        try (Sequential model = Models.kerasMnistTutorial().threads(1)) {
            model.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            spec.commandLine().getOut().print(model.summary());
            spec.commandLine().getOut().flush();
        }
    }
}
