"""Which precision the trainer's forward passes run in: bfloat16 autocast only where the CPU makes it fast.

bf16 autocast is about 2x faster than float32 on CPUs with bf16 hardware (AMX, AVX512-BF16) and several
times slower on the others, where every bf16 convolution is emulated. `choose_precision` is the pure
decision; `cpu_capability` and `time_conv_step` are the probes it is fed with.

What torch 2.13 reports: `torch.backends.cpu.get_cpu_capability()` is one of "DEFAULT", "NO AVX",
"AVX2", "AVX512" on x86 ("VSX", "Z VECTOR", "SVE256"... elsewhere). "AVX512" alone does not say
whether bf16 is there (Skylake has AVX512 without it, Sapphire Rapids has AMX), so `cpu_capability`
adds the CPU's bf16 feature flags from torch's cpuinfo table: "AVX512 AMX_BF16 AVX512_BF16" on a
Sapphire Rapids Xeon, "AVX512 NO_BF16" on a Skylake one, "AVX2" on a laptop. Mapping:

    AMX_BF16 or AVX512_BF16 present          -> bf16 hardware: bf16 is the fast one
    NO_BF16, "AVX2", "NO AVX"                -> no bf16 hardware: fp32 is the fast one
    anything else ("AVX512" without flags,   -> unknown: a timed probe decides when one was run,
      "DEFAULT", "SVE256", ...)                 else fp32 (slower at worst ~2x, never ~10x)
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import torch

BF16_FLAGS = ("AMX_BF16", "AVX512_BF16")
NO_BF16_BASES = ("AVX2", "NO AVX")
PROBE_BUDGET_S = 0.5  # per precision; a probe step takes milliseconds, so 5 repeats fit easily


@dataclass(frozen=True)
class StepTimes:
    """Seconds for one small convolution step (forward + backward) in each precision."""
    fp32_s: float
    bf16_s: float

    @property
    def bf16_ratio(self) -> float:
        return self.bf16_s / self.fp32_s


def bf16_hardware(capability: str) -> bool | None:
    """True / False when the capability string settles it, None when it does not (see the table above)."""
    words = capability.upper().split()
    if any(flag in words for flag in BF16_FLAGS) or "AMX" in words:
        return True
    if "NO_BF16" in words or capability.upper().strip() in NO_BF16_BASES:
        return False
    return None


def choose_precision(capability: str, requested: bool | None, times: StepTimes | None = None,
                     asked_by: str | None = None) -> tuple[bool, str]:
    """(use_bf16, why) for the CPU described by `capability`.

    requested: True (--bf16) and False (--no-bf16) are honoured as given; None picks the fast one.
    times: a measured probe, consulted only when the capability does not settle the question.
    asked_by: who made an explicit request, when not the flag (e.g. the options of a resumed run).
    """
    hardware = bf16_hardware(capability)
    if requested is not None:
        why = f"asked for {asked_by or ('with --bf16' if requested else 'with --no-bf16')}"
        if requested and hardware is False:
            why += f", although CPU capability {capability} has no bf16 hardware"
        return requested, why
    if hardware:
        return True, f"CPU capability {capability} has bf16 hardware"
    if hardware is False:
        return False, f"CPU capability {capability} has no bf16 hardware"
    if times is None:
        return False, f"CPU capability {capability} does not say whether bf16 is fast; fp32 is the safe choice"
    faster = times.bf16_s < times.fp32_s
    return faster, (f"CPU capability {capability} is not in the table; a probe step took "
                    f"{times.bf16_s * 1e3:.1f} ms in bf16 vs {times.fp32_s * 1e3:.1f} ms in fp32")


def slow_bf16_warning(capability: str, times: StepTimes, asked_by: str | None = None) -> str:
    """The line for an explicit bf16 request on a CPU without bf16 hardware, with what it measured."""
    fix = "use --no-bf16" + ("" if asked_by else " or leave --bf16 out")
    who = f"bf16 (asked for {asked_by})" if asked_by else "--bf16"
    return (f"warning: {who} on {capability}: a probe convolution step took "
            f"{times.bf16_s * 1e3:.1f} ms in bf16 vs {times.fp32_s * 1e3:.1f} ms in fp32 "
            f"({times.bf16_ratio:.1f}x as long); {fix}")


def cpu_capability() -> str:
    """torch's CPU capability plus the bf16 feature flags that decide the question (see the module doc).

    Flags are only added when torch runs its AVX512 kernels; ATEN_CPU_CAPABILITY=avx2 or
    ONEDNN_MAX_CPU_ISA (oneDNN runs the convolutions) can hold a CPU below its hardware, and then the
    flags it has are not used.
    """
    base = torch.backends.cpu.get_cpu_capability()
    if base != "AVX512":
        return base
    try:
        # torch's cpuinfo table (a private binding; its keys are lower-case cpuinfo names)
        features = torch._C._cpu._get_cpu_capability()
    except (AttributeError, RuntimeError):
        return base
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", "ALL").upper()
    allowed = {"AMX_BF16": isa in ("ALL", "DEFAULT") or "AMX" in isa,
               "AVX512_BF16": isa in ("ALL", "DEFAULT") or "AMX" in isa or "BF16" in isa}
    flags = [flag for flag in BF16_FLAGS if features.get(flag.lower()) and allowed[flag]]
    return " ".join([base, *(flags or ["NO_BF16"])])


def _one_step(conv: torch.nn.Module, x: torch.Tensor, bf16: bool) -> float:
    t0 = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        out = conv(x)
    out.float().square().mean().backward()
    return time.perf_counter() - t0


def time_conv_step(budget_s: float = PROBE_BUDGET_S) -> StepTimes:
    """Time one of the generator's middle layers (64 -> 32 channels, 16 -> 32 px, batch 16) forward and
    backward, in fp32 and in bf16: the best of up to 5 repeats each, within about budget_s per precision."""
    generator = torch.Generator().manual_seed(0)
    conv = torch.nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False).to(memory_format=torch.channels_last)
    x = torch.randn(16, 64, 16, 16, generator=generator).contiguous(memory_format=torch.channels_last)
    best = {}
    for bf16 in (False, True):
        _one_step(conv, x, bf16)  # warm-up: the first call picks and caches the kernels
        runs, spent = [], 0.0
        while len(runs) < 5 and spent < budget_s:
            runs.append(_one_step(conv, x, bf16))
            spent += runs[-1]
        best[bf16] = min(runs)
    return StepTimes(fp32_s=best[False], bf16_s=best[True])


def decide_precision(requested: bool | None, device: torch.device, capability: str | None = None,
                     may_probe: bool = True, warn: bool = True,
                     asked_by: str | None = None) -> tuple[bool, list[str]]:
    """(use_bf16, lines to log) for a training run: the first line says which precision and why.

    capability defaults to this machine's (`cpu_capability()`). may_probe: time a probe step when the
    capability leaves the question open (under DDP every process must reach the same answer, so the
    caller allows it only when there is one). warn: measure and explain an explicit bf16 request on a
    CPU without bf16 hardware (only the process that logs needs to).
    """
    if device.type != "cpu":
        use = bool(requested)
        why = f"asked for {asked_by or 'with --bf16'}" if use else \
            "the automatic choice covers CPUs only; --bf16 turns it on"
        return use, [f"precision: {'bf16' if use else 'fp32'} (device {device.type}: {why})"]
    capability = cpu_capability() if capability is None else capability
    hardware = bf16_hardware(capability)
    times = time_conv_step() if may_probe and hardware is None and requested is None else None
    use, why = choose_precision(capability, requested, times, asked_by)
    lines = [f"precision: {'bf16' if use else 'fp32'} ({why})"]
    if requested and hardware is False and warn:
        lines.append(slow_bf16_warning(capability, time_conv_step(), asked_by))
    return use, lines
