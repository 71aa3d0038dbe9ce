"""env.json's CPU record: the model name and the instruction sets that decide torch's kernels,
read from /proc/cpuinfo in its real format (x86 and ARM), and what happens without one."""

from __future__ import annotations

from shendu.train.env import CPU_FLAGS, cpu_info, describe_cpu

X86 = """processor	: 0
vendor_id	: GenuineIntel
model name	: Intel(R) Xeon(R) Platinum 8480+
flags		: fpu vme sse4_2 avx avx2 fma f16c avx512f avx512bw avx512vl avx512_vnni avx512_bf16 amx_tile amx_bf16 amx_int8
bogomips	: 4000.00

processor	: 1
model name	: Intel(R) Xeon(R) Platinum 8480+
flags		: fpu vme sse4_2
"""

ARM = """processor	: 0
BogoMIPS	: 50.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32
CPU implementer	: 0x41
"""


def test_flags_of_the_first_processor_and_its_model(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(X86)
    cpu = cpu_info(path)
    assert cpu["model"] == "Intel(R) Xeon(R) Platinum 8480+"
    assert set(cpu["flags"]) == set(CPU_FLAGS)
    assert cpu["flags"]["amx_bf16"] is True and cpu["flags"]["avx512_fp16"] is False and cpu["flags"]["avx_vnni"] is False
    line = describe_cpu(cpu)
    assert line.startswith("Intel(R) Xeon(R) Platinum 8480+ (") and "AVX-512-BF16" in line and "AMX-BF16" in line
    assert "AVX-512-FP16" not in line and "torch kernels: " in line


def test_without_flags_every_flag_is_unknown_not_false(tmp_path):
    for text in (ARM, None):
        path = tmp_path / "cpuinfo"
        if text is None:
            path.unlink()
        else:
            path.write_text(text)
        cpu = cpu_info(path)
        assert all(value is None for value in cpu["flags"].values())
        assert "instruction sets unknown" in describe_cpu(cpu)
