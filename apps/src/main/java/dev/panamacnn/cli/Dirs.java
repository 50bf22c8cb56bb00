package dev.panamacnn.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Up-front checks of output folders, so a run fails at once rather than after an hour of training. */
final class Dirs {
    private Dirs() {}

    static void requireWritableDir(Path dir, String option) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IOException(option + " " + dir + ": not a directory");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            String why = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage();
            throw new IOException(option + " " + dir + ": cannot create the folder (" + why + ")");
        }
        if (!Files.isWritable(dir)) throw new IOException(option + " " + dir + ": folder is not writable");
        Path probe;
        try {
            probe = Files.createTempFile(dir, ".write-test-", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new IOException(option + " " + dir + ": folder is not writable (" + e.getMessage() + ")");
        }
    }
}
