package dev.panamacnn.io;

import java.io.IOException;
import java.nio.file.Path;

/** A model, weights or checkpoint file that cannot be used; the message names the file and what is wrong. */
public final class ModelFormatException extends IOException {
    public ModelFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
