package dev.panamacnn.cli;

import dev.panamacnn.opencl.ClDevice;
import dev.panamacnn.opencl.ClPlatforms;
import dev.panamacnn.opencl.OpenCL;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code panama-cnn devices}: OpenCL platforms and devices, TornadoVM's devices when it runs, and what {@code --backend auto} would pick. */
@Command(name = "devices", mixinStandardHelpOptions = true, description = "List OpenCL platforms and devices (for --backend opencl --device N) and TornadoVM's (--backend tornado --device D:D).")
final class DevicesCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (!OpenCL.available()) {
            out.println("No OpenCL: " + OpenCL.unavailableReason());
        } else {
            List<ClDevice> devices = ClPlatforms.devices();
            if (devices.isEmpty()) out.println("OpenCL library loaded, but no platform is visible (no ICD file in /etc/OpenCL/vendors or $OCL_ICD_VENDORS).");
            String platform = null;
            for (ClDevice d : devices) {
                if (!d.platformName().equals(platform)) {
                    platform = d.platformName();
                    out.println("Platform: " + d.platformName() + " (" + d.platformVersion() + ")");
                }
                out.printf(Locale.ROOT, "  [%d] %s%n      type %s, %d compute units, %.1f GiB global memory (max buffer %.1f GiB), %d KiB local memory,"
                                + " max work-group %d, %d MHz%n      %s, driver %s%n",
                        d.index(), d.name(), d.typeName(), d.computeUnits(), d.globalMemBytes() / (double) (1L << 30),
                        d.maxAllocBytes() / (double) (1L << 30), d.localMemBytes() >> 10, d.maxWorkGroupSize(), d.clockMHz(),
                        d.deviceVersion(), d.driverVersion());
            }
        }
        var tornado = BackendOptions.tornado();
        if (tornado.isEmpty()) {
            out.println("TornadoVM: not in this run (" + BackendOptions.noTornado() + ")");
        } else if (tornado.get().unavailableReason() != null) {
            out.println("TornadoVM: " + tornado.get().unavailableReason());
        } else {
            out.println("TornadoVM devices (for --backend tornado --device D:D):");
            for (var d : tornado.get().devices()) out.println("  [" + d.id() + "] " + d.description());
        }
        BackendOptions auto = new BackendOptions();
        auto.backend = "auto";
        out.println("--backend auto would use: " + auto.choose(new PrintWriter(java.io.Writer.nullWriter())).reason());
        return 0;
    }
}
