#!/usr/bin/env python3
"""Disassembles a method's C2 code from -XX:+PrintAssembly output when no hsdis plug-in is installed.

Without hsdis, HotSpot prints the code as hex words; this decodes the last C2 (tier 4, not on-stack-replacement)
compile in the file with objdump. Example:

  java -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,dev.panamacnn.ops.Gemm::kernelRowsA \
       --add-modules jdk.incubator.vector -cp ... SomeMainThatRunsIt > out.txt
  python3 benchmarks/tools/machcode.py out.txt | less

(Debian's libhsdis0-fcml exports only the pre-JDK-13 entry point, so JDK 25 does not use it.)
"""
import re
import subprocess
import sys
import tempfile

lines = open(sys.argv[1], errors="replace").read().split("\n")
starts = [i for i, l in enumerate(lines) if l.startswith("Compiled method (c2)") and " % " not in l]
if not starts:
    sys.exit("no C2 compile (tier 4, not OSR) in " + sys.argv[1])
code, base, in_code = bytearray(), None, False
for line in lines[starts[-1]:]:
    if line.startswith("[MachCode]"):
        in_code = True
        continue
    if in_code and line.startswith("[/MachCode]"):
        break
    m = re.match(r"\s*0x([0-9a-f]+): ((?:[0-9a-f]{4} ?\|? ?)+)\s*$", line)
    if in_code and m:
        addr = int(m.group(1), 16)
        base = addr if base is None else base
        hexes = m.group(2).replace("|", "").replace(" ", "")
        off = addr - base
        if len(code) < off:
            code += b"\x90" * (off - len(code))
        code[off:off + len(hexes) // 2] = bytes.fromhex(hexes)
print(lines[starts[-1]])
with tempfile.NamedTemporaryFile(suffix=".bin") as f:
    f.write(code)
    f.flush()
    print(subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", "-Mintel", "--adjust-vma=%#x" % base, f.name],
                         capture_output=True, text=True).stdout)
