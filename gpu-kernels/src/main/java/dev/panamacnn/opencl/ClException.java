package dev.panamacnn.opencl;

/** An OpenCL call failed: the message names the call and the error code (e.g. {@code CL_INVALID_VALUE (-30)}). */
public class ClException extends RuntimeException {
    private final int code;

    public ClException(String call, int code) {
        super(call + " failed: " + OpenCL.errorName(code));
        this.code = code;
    }

    private ClException(String message, int code, boolean detailed) {
        super(message);
        this.code = code;
    }

    /** A failed call with a message of its own, which names the call and the code and adds what was being done. */
    public static ClException detailed(String message, int code) {
        return new ClException(message, code, true);
    }

    public ClException(String message) {
        super(message);
        this.code = 0;
    }

    /** The OpenCL error code, or 0 when the failure was not an OpenCL return code. */
    public int code() { return code; }
}
