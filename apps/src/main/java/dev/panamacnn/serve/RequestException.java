package dev.panamacnn.serve;

/** A client error: the HTTP status and the one-line reason sent back as {@code {"error": ...}}; never logged as a stack trace. */
final class RequestException extends RuntimeException {
    final int status;

    RequestException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }
}
