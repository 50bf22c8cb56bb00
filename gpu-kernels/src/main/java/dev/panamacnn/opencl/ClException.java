package dev.panamacnn.opencl;

/** An OpenCL call failed: the message names the call and the error code (e.g. {@code CL_INVALID_VALUE (-30)}). */
public class ClException extends RuntimeException {
    private final int code;

    public ClException(String call, int code) {
        super(call + " failed: " + OpenCL.errorName(code));
        this.code = code;
    }

    public ClException(String message) {
        super(message);
        this.code = 0;
    }

    /** The OpenCL error code, or 0 when the failure was not an OpenCL return code. */
    public int code() { return code; }
}
