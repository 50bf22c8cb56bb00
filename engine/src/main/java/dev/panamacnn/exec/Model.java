package dev.panamacnn.exec;

/**
 * A compiled model as backends see it (a {@code Sequential} is one): its {@link Network}. Backends are made for a
 * model, e.g. {@code OpenClAccelerator.create(model, device, 128)}, without depending on the model classes.
 */
public interface Model {
    /** The compiled network; throws IllegalStateException before {@code compile}. */
    Network network();

    /** Worker threads the model's CPU work uses. */
    int threadCount();
}
