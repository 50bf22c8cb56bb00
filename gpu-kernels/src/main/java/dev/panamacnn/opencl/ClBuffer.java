package dev.panamacnn.opencl;

import java.lang.foreign.MemorySegment;

/** A device buffer ({@code cl_mem}) of {@code bytes} bytes, owned by its {@link ClContext}. */
public final class ClBuffer {
    final MemorySegment handle;
    private final long bytes;
    private final String label;

    ClBuffer(MemorySegment handle, long bytes, String label) {
        this.handle = handle;
        this.bytes = bytes;
        this.label = label;
    }

    public long bytes() { return bytes; }
    public String label() { return label; }

    @Override public String toString() { return "ClBuffer[" + label + ", " + bytes + " bytes]"; }
}
