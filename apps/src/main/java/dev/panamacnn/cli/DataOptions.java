package dev.panamacnn.cli;

import dev.panamacnn.data.Mnist;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;

/** {@code --data-dir} and {@code --offline}, shared by every command that reads MNIST (a picocli mixin). */
final class DataOptions {
    @Option(names = "--data-dir", description = "Folder with the four MNIST IDX files, raw or .gz; fetched there when absent (default: ~/.cache/panama-cnn/mnist).")
    Path dataDir;

    @Option(names = "--offline", description = "Never fetch MNIST; fail if the files are not in --data-dir.")
    boolean offline;

    Path dir() { return dataDir != null ? dataDir : Mnist.defaultDir(); }

    /** Loads MNIST, printing fetch progress and checksum warnings to {@code out}. */
    Mnist load(PrintWriter out) throws IOException {
        return Mnist.load(dir(), !offline, msg -> { out.println(msg); out.flush(); });
    }
}
