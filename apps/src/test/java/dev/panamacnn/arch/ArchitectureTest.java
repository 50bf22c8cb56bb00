package dev.panamacnn.arch;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packages depend on each other in one direction (docs/architecture.md has the picture), checked on the compiled
 * classes of the engine, the OpenCL backend and the CLI. Bottom up: {@code tensor}, {@code runtime},
 * {@code activations}, {@code loss}, {@code ops}, {@code data}, {@code nn}, {@code optim}, {@code exec}, {@code io},
 * {@code train}, {@code models}; the backends ({@code opencl} + {@code gpu}, {@code tornado}) see only the contract
 * below {@code io}; only the CLI sees everything.
 */
class ArchitectureTest {
    static final JavaClasses CLASSES = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.panamacnn");

    static Architectures.LayeredArchitecture layers() {
        return Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers().withOptionalLayers(true)
                .layer("root").definedBy("dev.panamacnn")
                .layer("tensor").definedBy("dev.panamacnn.tensor..")
                .layer("runtime").definedBy("dev.panamacnn.runtime..")
                .layer("activations").definedBy("dev.panamacnn.activations..")
                .layer("loss").definedBy("dev.panamacnn.loss..")
                .layer("ops").definedBy("dev.panamacnn.ops..")
                .layer("data").definedBy("dev.panamacnn.data..")
                .layer("nn").definedBy("dev.panamacnn.nn..")
                .layer("optim").definedBy("dev.panamacnn.optim..")
                .layer("exec").definedBy("dev.panamacnn.exec..")
                .layer("io").definedBy("dev.panamacnn.io..")
                .layer("train").definedBy("dev.panamacnn.train..")
                .layer("models").definedBy("dev.panamacnn.models..")
                .layer("opencl").definedBy("dev.panamacnn.opencl..")
                .layer("gpu").definedBy("dev.panamacnn.gpu..")
                .layer("tornado").definedBy("dev.panamacnn.tornado..")
                .layer("serve").definedBy("dev.panamacnn.serve..")
                .layer("cli").definedBy("dev.panamacnn.cli..")
                .whereLayer("root").mayNotAccessAnyLayer()
                .whereLayer("tensor").mayNotAccessAnyLayer()
                .whereLayer("runtime").mayNotAccessAnyLayer()
                .whereLayer("activations").mayNotAccessAnyLayer()
                .whereLayer("loss").mayNotAccessAnyLayer()
                .whereLayer("ops").mayOnlyAccessLayers("tensor", "runtime", "activations")
                .whereLayer("data").mayOnlyAccessLayers("tensor", "runtime", "ops")
                .whereLayer("nn").mayOnlyAccessLayers("tensor", "runtime", "activations", "ops")
                .whereLayer("optim").mayOnlyAccessLayers("tensor", "runtime", "ops")
                .whereLayer("exec").mayOnlyAccessLayers("tensor", "runtime", "activations", "loss", "ops", "nn", "optim")
                .whereLayer("io").mayOnlyAccessLayers("tensor", "runtime", "activations", "loss", "ops", "data", "nn", "optim", "exec")
                .whereLayer("train").mayOnlyAccessLayers("tensor", "runtime", "activations", "loss", "ops", "data", "nn", "optim", "exec", "io")
                .whereLayer("models").mayOnlyAccessLayers("tensor", "runtime", "activations", "loss", "ops", "data", "nn", "optim", "exec", "io", "train")
                .whereLayer("opencl").mayOnlyAccessLayers("runtime")
                .whereLayer("gpu").mayOnlyAccessLayers("tensor", "runtime", "activations", "loss", "ops", "nn", "optim", "exec", "opencl")
                .whereLayer("tornado").mayOnlyAccessLayers("tensor", "runtime", "activations", "loss", "ops", "nn", "optim", "exec")
                .whereLayer("serve").mayOnlyAccessLayers("tensor", "runtime", "activations", "loss", "ops", "data", "nn", "optim",
                        "exec", "io", "train", "models")
                .whereLayer("cli").mayOnlyAccessLayers("root", "tensor", "runtime", "activations", "loss", "ops", "data", "nn", "optim",
                        "exec", "io", "train", "models", "opencl", "gpu", "tornado", "serve");
    }

    @Test void packagesDependInOneDirection() {
        layers().check(CLASSES);
    }

    @Test void noPackageCycles() {
        slices().matching("dev.panamacnn.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test void theRulesCatchAWrongWayImport() {
        // the engine's layers stop the CPU engine from seeing the models that use it: a class of exec that imported
        // Sequential would fail; shown here on the rule itself, with a made-up class path of two real classes
        JavaClasses wrong = new ClassFileImporter().importClasses(WrongWay.class, dev.panamacnn.models.Sequential.class);
        AssertionError e = null;
        try {
            Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers()
                    .layer("arch").definedBy("dev.panamacnn.arch..")
                    .layer("models").definedBy("dev.panamacnn.models..")
                    .whereLayer("arch").mayNotAccessAnyLayer()
                    .check(wrong);
        } catch (AssertionError x) {
            e = x;
        }
        assertTrue(e != null && e.getMessage().contains("WrongWay"), "a wrong-way dependency must fail the rule");
        assertFalse(CLASSES.isEmpty());
    }

    /** Depends on the models layer, which the rule above forbids. */
    static final class WrongWay {
        @SuppressWarnings("unused") dev.panamacnn.models.Sequential model;
    }
}
