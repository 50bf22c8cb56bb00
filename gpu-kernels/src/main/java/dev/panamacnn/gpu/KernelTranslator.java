package dev.panamacnn.gpu;

import com.aparapi.Kernel;
import com.aparapi.internal.model.ClassModel;
import com.aparapi.internal.model.Entrypoint;
import com.aparapi.internal.writer.KernelWriter;
import dev.panamacnn.opencl.ClArg;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a kernel class (Java, in Aparapi's subset) into OpenCL C with Aparapi's translator: its bytecode reader
 * ({@code ClassModel}) and OpenCL writer ({@code KernelWriter}). Only the translator is used; Aparapi's runtime never
 * runs. The result is cached per class for the life of the JVM.
 *
 * <p>The generated {@code __kernel void run(...)} takes one parameter per field the body reads, plus Aparapi's
 * {@code passid}; {@link Translation#args()} lists them in order so the host binds arguments by field name.
 */
public final class KernelTranslator {
    private KernelTranslator() {}

    /** OpenCL source of one kernel class and its parameters, in order. */
    public record Translation(Class<? extends Kernel> kernelClass, String source, List<ClArg> args) {
        public String name() { return kernelClass.getSimpleName(); }
    }

    private static final Map<Class<?>, Translation> CACHE = new ConcurrentHashMap<>();
    private static final Pattern SIGNATURE = Pattern.compile("__kernel\\s+void\\s+run\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("^(__global|__local|__constant)?\\s*(float|int|char|short|long|double)\\s*(\\*)?\\s*(\\w+)$");

    static {
        // Aparapi logs a warning per method without a local-variable table; our classes are compiled with -g anyway.
        Logger.getLogger("com.aparapi").setLevel(Level.SEVERE);
    }

    /** The translation of {@code cls}, made on first use. */
    public static Translation translate(Class<? extends Kernel> cls) {
        return CACHE.computeIfAbsent(cls, c -> doTranslate(cls));
    }

    private static Translation doTranslate(Class<? extends Kernel> cls) {
        Kernel instance;
        try {
            instance = cls.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("kernel " + cls.getName() + " needs a public no-argument constructor", e);
        }
        String source;
        try {
            ClassModel model = ClassModel.createClassModel(cls);
            Entrypoint entry = model.getEntrypoint("run", instance);
            source = KernelWriter.writeToString(entry);
        } catch (Exception e) {
            throw new IllegalStateException("Aparapi could not translate " + cls.getName() + " to OpenCL: " + e, e);
        }
        return new Translation(cls, source, parseArgs(cls, instance, source));
    }

    static List<ClArg> parseArgs(Class<?> cls, Object instance, String source) {
        Matcher m = SIGNATURE.matcher(source);
        if (!m.find()) throw new IllegalStateException("no __kernel void run(...) in the OpenCL generated for " + cls.getName());
        List<ClArg> args = new ArrayList<>();
        for (String raw : m.group(1).split(",")) {
            String p = raw.trim().replaceAll("\\s+", " ");
            Matcher pm = PARAM.matcher(p);
            if (!pm.matches()) throw new IllegalStateException("unexpected kernel parameter '" + p + "' in " + cls.getName());
            String space = pm.group(1), type = pm.group(2), name = pm.group(4);
            boolean pointer = pm.group(3) != null;
            ClArg.Kind kind;
            long localBytes = 0;
            if ("__local".equals(space)) {
                kind = ClArg.Kind.LOCAL;
                localBytes = localArrayBytes(cls, instance, name);
            } else if (pointer && type.equals("float")) {
                kind = ClArg.Kind.GLOBAL_FLOAT;
            } else if (pointer && type.equals("int")) {
                kind = ClArg.Kind.GLOBAL_INT;
            } else if (!pointer && type.equals("int")) {
                kind = ClArg.Kind.INT;
            } else if (!pointer && type.equals("float")) {
                kind = ClArg.Kind.FLOAT;
            } else {
                throw new IllegalStateException("kernel " + cls.getName() + ": parameter '" + p + "' has a type the engine does not bind (use float[], int[], int or float)");
            }
            args.add(new ClArg(name, kind, localBytes));
        }
        return args;
    }

    private static long localArrayBytes(Class<?> cls, Object instance, String name) {
        for (Class<?> c = cls; c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                Object v = f.get(instance);
                if (v instanceof float[] a) return a.length * 4L;
                if (v instanceof int[] a) return a.length * 4L;
                throw new IllegalStateException("local array " + name + " of " + cls.getName() + " must be a float[] or int[] allocated in its initializer");
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("kernel " + cls.getName() + " has no field " + name);
    }
}
