package dev.panamacnn.data;

import java.io.IOException;
import java.nio.file.Path;

/** A file that is not a valid IDX file, or not the one expected; the message names the file and what was wrong. */
public final class IdxFormatException extends IOException {
    private final Path file;

    public IdxFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public Path file() { return file; }
}
