package dev.panamacnn.exec;

import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A backend that is found at run time rather than linked at build time (the TornadoVM backend, whose module is
 * built only where an SDK is installed and which runs only in a JVM started with TornadoVM's flags). Providers are
 * listed in {@code META-INF/services/dev.panamacnn.exec.BackendFactory}.
 */
public interface BackendFactory {
    /** The {@code --backend} name, e.g. {@code tornado}. */
    String name();

    /** Null when the backend can run in this JVM, else why not (one line). */
    String unavailableReason();

    /** The devices, one line each, first the id that {@link #create} takes (e.g. {@code 0:0 NVIDIA H200 (GPU)}). */
    List<Device> devices();

    /** One device: its id for {@code --device}, a description, and whether it is a GPU. */
    record Device(String id, String description, boolean gpu) {}

    /**
     * Plans {@code model} on the device {@code id} (null: the backend's default) for batches of up to
     * {@code capacity} samples.
     *
     * @throws IllegalArgumentException for an unknown device or a model the backend cannot run, naming what
     */
    Backend create(Model model, String id, int capacity);

    /** The provider called {@code name} on the class path, if any. */
    static Optional<BackendFactory> find(String name) {
        for (BackendFactory f : ServiceLoader.load(BackendFactory.class)) if (f.name().equals(name)) return Optional.of(f);
        return Optional.empty();
    }
}
