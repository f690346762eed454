"""Peak FLOP/s of GeForce and workstation RTX GPUs (dense; fp32 accumulate).

GeForce cards run fp16/bf16 tensor math with fp32 accumulate at half the rate
they manage with fp16 accumulate, and TF32 and FP8 likewise at half the
workstation rate. PyTorch accumulates matmuls in fp32, so the fp32-accumulate
figure is the peak a training step can reach, and that is the one stored here
(the whitepapers print both).

Cards that are in an architecture whitepaper's appendix cite it. For the
others NVIDIA publishes only the SM count and boost clock; their peaks are
computed with the same per-SM rates (``SMs x FLOP/clk/SM x clock``) and marked
``estimated``.
"""

from __future__ import annotations

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import PeakFlops
from mfu_advisor.probe.gpu_peaks_model import GpuEntry, PeakRates, entry, tflops

ADA_WHITEPAPER = (
    "NVIDIA Ada GPU Architecture whitepaper v2.1, appendix A table "
    "'GeForce RTX 4090 / 4080' (https://images.nvidia.com/aem-dam/Solutions/geforce/ada/"
    "nvidia-ada-gpu-architecture.pdf)"
)
ADA_WHITEPAPER_4070TI = (
    ADA_WHITEPAPER + ", column 'RTX 4080 12GB': the AD104 configuration (60 SMs, 2610 MHz) "
    "released as the GeForce RTX 4070 Ti"
)
AMPERE_GA102_WHITEPAPER = (
    "NVIDIA Ampere GA102 GPU Architecture whitepaper v2.1, appendix A tables 'GeForce RTX "
    "3090 / 3080 / 3070' (https://www.nvidia.com/content/PDF/nvidia-ampere-ga-102-gpu-"
    "architecture-whitepaper-v2.1.pdf)"
)
RTX_A6000_DATASHEET = (
    "NVIDIA RTX A6000 datasheet: 38.7 TFLOPS fp32, 309.7 TFLOPS tensor (sparse fp16) "
    "(https://www.nvidia.com/content/dam/en-zz/Solutions/design-visualization/quadro-product-"
    "literature/proviz-print-nvidia-rtx-a6000-datasheet-us-nvidia-1454980-r9-web.pdf)"
)
RTX_6000_ADA_DATASHEET = (
    "NVIDIA RTX 6000 Ada Generation datasheet: 91.1 TFLOPS fp32, 1,457 TFLOPS tensor "
    "(sparse fp8) (https://www.nvidia.com/content/dam/en-zz/Solutions/design-visualization/"
    "rtx-6000/proviz-print-rtx6000-datasheet-web-2504660.pdf)"
)
GEFORCE_SPEC_PAGES = (
    "NVIDIA GeForce product specifications page (CUDA cores / 128 = SMs, boost clock), "
    "https://www.nvidia.com/en-us/geforce/graphics-cards/"
)

_GEFORCE = "GeForce: fp16/bf16 with fp32 accumulate runs at half the fp16-accumulate rate"
_NO_FP8 = Unavailable("no FP8 tensor cores before Ada (8.9) and Hopper (9.0)")


def _geforce_ada(fp32: float, tf32: float, bf16: float, fp8: float) -> PeakRates:
    """Ada GeForce, TFLOP/s dense, fp32 accumulate (half the fp16-accumulate rate)."""

    def peaks(source: str) -> dict[str, PeakFlops | Unavailable]:
        return {
            "fp32": tflops(fp32, source, note="dense, CUDA cores"),
            "tf32": tflops(tf32, source, note="dense tensor core"),
            "bf16": tflops(bf16, source, note=f"dense tensor core, fp32 accumulate; {_GEFORCE}"),
            "fp16": tflops(bf16, source, note=f"dense tensor core, fp32 accumulate; {_GEFORCE}"),
            "fp8": tflops(fp8, source, note="dense tensor core, fp32 accumulate"),
        }

    return peaks


def _geforce_ampere(fp32: float, tf32: float, bf16: float) -> PeakRates:
    """Ampere GeForce: as Ada without fp8."""
    ada = _geforce_ada(fp32, tf32, bf16, 0.0)
    return lambda source: {**ada(source), "fp8": _NO_FP8}


def _estimated_geforce(sms: int, clock_mhz: float, arch: str) -> PeakRates:
    """Peaks from SMs x per-SM rate x clock, for cards without a whitepaper table.

    Per-SM dense rates (Ada and GA10x GeForce, fp32 accumulate): 256 fp32 FLOP/clk
    on the CUDA cores, 512 bf16/fp16, 256 tf32, 1024 fp8 (Ada only), from the
    Ada and GA102 whitepaper tables above. Each peak cites the formula and the
    whitepaper; the row's source is the spec page the SMs and clock come from.
    """
    hz = clock_mhz * 1e6
    formula = f"{sms} SMs x {{rate}} FLOP/clk/SM x {clock_mhz:g} MHz ({GEFORCE_SPEC_PAGES})"
    rates = {"fp32": 256, "tf32": 256, "bf16": 512, "fp16": 512, "fp8": 1024}
    paper = ADA_WHITEPAPER if arch == "ada" else AMPERE_GA102_WHITEPAPER
    out: dict[str, PeakFlops | Unavailable] = {}
    for dtype, rate in rates.items():
        if dtype == "fp8" and arch != "ada":
            out[dtype] = _NO_FP8
            continue
        note = "dense, CUDA cores" if dtype == "fp32" else "dense tensor core, fp32 accumulate"
        if dtype in ("bf16", "fp16"):
            note += f"; {_GEFORCE}"
        out[dtype] = tflops(
            sms * rate * hz / 1e12,
            "estimate: " + formula.format(rate=rate) + f"; per-SM rates from {paper}",
            note=note,
            estimated=True,
        )
    return lambda source: out


def _workstation(fp32: float, fp16: float, fp8: float | None, quoted: str) -> PeakRates:
    """Workstation RTX: fp32 accumulate at the full rate; the datasheet quotes one tensor figure.

    ``quoted`` names the dtype of that figure ("fp16" or "fp8"); the other tensor
    dtypes follow from the architecture's ratios (bf16 = fp16, tf32 = fp16 / 2,
    fp8 = 2 x fp16) and are marked estimated.
    """
    derived = f"derived from the datasheet's {quoted} figure at the architecture's ratios"

    def peaks(source: str) -> dict[str, PeakFlops | Unavailable]:
        def tensor(value: float, dtype: str) -> PeakFlops:
            if dtype == quoted:
                return tflops(value, source, note="dense tensor core, fp32 accumulate")
            return tflops(value, source, note=f"dense tensor core; {derived}", estimated=True)

        return {
            "fp32": tflops(fp32, source, note="dense, CUDA cores"),
            "tf32": tensor(fp16 / 2, "tf32"),
            "bf16": tensor(fp16, "bf16"),
            "fp16": tensor(fp16, "fp16"),
            "fp8": _NO_FP8 if fp8 is None else tensor(fp8, "fp8"),
        }

    return peaks


# Each row: name (as NVML reports it), compute capability, SMs, boost clock MHz,
# memory GiB, dense peaks in TFLOP/s, the source they come from; then the name
# tokens that select the row (gpu_peaks_model.GpuEntry).
# fmt: off
RTX_GPUS: tuple[GpuEntry, ...] = (
    # Ada GeForce (whitepaper): 4090 82.6 fp32, 82.6 tf32, 165.2 bf16/fp16, 330.3 fp8.
    entry("NVIDIA GeForce RTX 4090", "8.9", 128, 2520, 24,
          _geforce_ada(82.6, 82.6, 165.2, 330.3), ADA_WHITEPAPER,
          model="4090", optional={"24gb"}),
    # 4080 (16 GB): 48.7 fp32, 48.7 tf32, 97.5 bf16/fp16, 194.9 fp8.
    entry("NVIDIA GeForce RTX 4080", "8.9", 76, 2505, 16,
          _geforce_ada(48.7, 48.7, 97.5, 194.9), ADA_WHITEPAPER,
          model="4080", optional={"16gb"}),
    # 4070 Ti: 40.1 fp32, 40.1 tf32, 80.2 bf16/fp16, 160.4 fp8.
    entry("NVIDIA GeForce RTX 4070 Ti", "8.9", 60, 2610, 12,
          _geforce_ada(40.1, 40.1, 80.2, 160.4), ADA_WHITEPAPER_4070TI,
          model="4070", forms=({"ti"},), optional={"12gb"}),
    entry("NVIDIA GeForce RTX 4070 Ti SUPER", "8.9", 66, 2610, 16,
          _estimated_geforce(66, 2610, "ada"), GEFORCE_SPEC_PAGES,
          model="4070", forms=({"ti", "super"},), optional={"16gb"}),
    entry("NVIDIA GeForce RTX 4070 SUPER", "8.9", 56, 2475, 12,
          _estimated_geforce(56, 2475, "ada"), GEFORCE_SPEC_PAGES,
          model="4070", forms=({"super"},), optional={"12gb"}),
    entry("NVIDIA GeForce RTX 4070", "8.9", 46, 2475, 12,
          _estimated_geforce(46, 2475, "ada"), GEFORCE_SPEC_PAGES,
          model="4070", optional={"12gb"}),
    entry("NVIDIA GeForce RTX 4060", "8.9", 24, 2460, 8,
          _estimated_geforce(24, 2460, "ada"), GEFORCE_SPEC_PAGES,
          model="4060", optional={"8gb"}),
    # Ampere GeForce (GA102 whitepaper): 3090 35.6 fp32/tf32, 71 bf16/fp16.
    entry("NVIDIA GeForce RTX 3090", "8.6", 82, 1695, 24,
          _geforce_ampere(35.6, 35.6, 71.0), AMPERE_GA102_WHITEPAPER,
          model="3090", optional={"24gb"}),
    # 3080 (10 GB): 29.8 fp32/tf32, 59.5 bf16/fp16.
    entry("NVIDIA GeForce RTX 3080", "8.6", 68, 1710, 10,
          _geforce_ampere(29.8, 29.8, 59.5), AMPERE_GA102_WHITEPAPER,
          model="3080", optional={"10gb"}),
    entry("NVIDIA GeForce RTX 3080 Ti", "8.6", 80, 1665, 12,
          _estimated_geforce(80, 1665, "ampere"), GEFORCE_SPEC_PAGES,
          model="3080", forms=({"ti"},), optional={"12gb"}),
    # 3070: 20.3 fp32/tf32, 40.6 bf16/fp16.
    entry("NVIDIA GeForce RTX 3070", "8.6", 46, 1725, 8,
          _geforce_ampere(20.3, 20.3, 40.6), AMPERE_GA102_WHITEPAPER,
          model="3070", optional={"8gb"}),
    entry("NVIDIA GeForce RTX 3060", "8.6", 28, 1777, 12,
          _estimated_geforce(28, 1777, "ampere"), GEFORCE_SPEC_PAGES,
          model="3060", optional={"12gb"}),
    # Workstation RTX: fp32 accumulate at full rate. A6000: 309.7 TF sparse fp16 -> 154.85.
    entry("NVIDIA RTX A6000", "8.6", 84, 1800, 48,
          _workstation(38.7, 154.85, None, "fp16"), RTX_A6000_DATASHEET,
          model="a6000", optional={"48gb"}),
    # RTX 6000 Ada: 1,457 TF sparse fp8 -> 728.5 dense fp8, 364.25 fp16.
    entry("NVIDIA RTX 6000 Ada Generation", "8.9", 142, 2505, 48,
          _workstation(91.1, 364.25, 728.5, "fp8"), RTX_6000_ADA_DATASHEET,
          model="6000", forms=({"ada"},), optional={"48gb"}),
)
# fmt: on
