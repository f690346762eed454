"""Datasheet peak FLOP/s of NVIDIA Ampere, Turing and Volta data-center GPUs.

Same conventions as :mod:`mfu_advisor.probe.gpu_peaks_data`: dense tensor
figures (the datasheets' "with sparsity" numbers halved; Turing and Volta have
no sparsity) with fp32 accumulate, which data-center parts run at full rate.
Before Ampere there are no bf16 or tf32 tensor cores, and no fp8 before Ada
and Hopper.
"""

from __future__ import annotations

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import PeakFlops
from mfu_advisor.probe.gpu_peaks_model import GpuEntry, PeakRates, entry, tflops, variant

A100_DATASHEET = (
    "NVIDIA A100 Tensor Core GPU datasheet, table 'Specifications' "
    "(https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/"
    "nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf); SMs and clock from the NVIDIA A100 "
    "Tensor Core GPU Architecture whitepaper, table 1"
)
A800_DATASHEET = (
    "NVIDIA A800 Tensor Core GPU datasheet (China market; https://www.nvidia.cn/data-center/"
    "a800/): compute as the A100 (19.5 TF fp32, 156 (312*) TF tf32, 312 (624*) TF bf16), "
    "NVLink cut to 400 GB/s"
)
A10_DATASHEET = (
    "NVIDIA A10 Tensor Core GPU datasheet "
    "(https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a10/pdf/"
    "datasheet-new/nvidia-a10-datasheet.pdf)"
)
A30_DATASHEET = (
    "NVIDIA A30 Tensor Core GPU datasheet "
    "(https://www.nvidia.com/content/dam/en-zz/Solutions/data-center/products/a30-gpu/"
    "pdf/a30-datasheet.pdf)"
)
A40_DATASHEET = (
    "NVIDIA A40 datasheet "
    "(https://images.nvidia.com/content/Solutions/data-center/a40/nvidia-a40-datasheet.pdf)"
)
T4_DATASHEET = (
    "NVIDIA T4 Tensor Core GPU datasheet "
    "(https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/tesla-t4/"
    "t4-tensor-core-datasheet-951643.pdf); SMs and clock from the NVIDIA Turing GPU "
    "Architecture whitepaper, appendix A"
)
V100_DATASHEET = (
    "NVIDIA Tesla V100 GPU datasheet "
    "(https://images.nvidia.com/content/technologies/volta/pdf/"
    "volta-v100-datasheet-update-us-1165301-r5.pdf); SMs and clocks from the NVIDIA Tesla "
    "V100 GPU Architecture whitepaper, table 1"
)

_NO_FP8_AMPERE = Unavailable("no FP8 tensor cores before Ada (8.9) and Hopper (9.0)")
_NO_TF32_PRE_AMPERE = Unavailable("TF32 tensor cores arrived with Ampere (compute capability 8.0)")
_NO_BF16_PRE_AMPERE = Unavailable(
    "no bf16 tensor cores before Ampere (compute capability 8.0); PyTorch runs bf16 "
    "matmuls here far below the fp16 rate"
)
_NO_FP8_PRE_ADA = Unavailable("no FP8 tensor cores before Ada (8.9) and Hopper (9.0)")


def _ampere(fp32: float, tf32: float, bf16: float) -> PeakRates:
    """Ampere data center, TFLOP/s dense: bf16 = fp16 with fp32 accumulate at full rate."""

    def peaks(source: str) -> dict[str, PeakFlops | Unavailable]:
        return {
            "fp32": tflops(fp32, source, note="dense, CUDA cores"),
            "tf32": tflops(tf32, source, note="dense tensor core"),
            "bf16": tflops(bf16, source, note="dense tensor core, fp32 accumulate"),
            "fp16": tflops(bf16, source, note="dense tensor core, fp32 accumulate"),
            "fp8": _NO_FP8_AMPERE,
        }

    return peaks


def _pre_ampere(fp32: float, fp16: float) -> PeakRates:
    """Turing and Volta, TFLOP/s: fp16 tensor cores only (mixed precision)."""

    def peaks(source: str) -> dict[str, PeakFlops | Unavailable]:
        return {
            "fp32": tflops(fp32, source, note="dense, CUDA cores"),
            "tf32": _NO_TF32_PRE_AMPERE,
            "bf16": _NO_BF16_PRE_AMPERE,
            "fp16": tflops(
                fp16, source, note="dense tensor core, mixed precision (fp32 accumulate)"
            ),
            "fp8": _NO_FP8_PRE_ADA,
        }

    return peaks


# Each row: name (as NVML reports it), compute capability, SMs, boost clock MHz,
# memory GiB, dense peaks in TFLOP/s, the datasheet they come from; then the
# name tokens that select the row (gpu_peaks_model.GpuEntry). Variants of one
# chip at the same rates (other memory, other form factor) reuse its row.
# fmt: off

# Ampere A100: 19.5 TF fp32, 156 (312*) TF tf32, 312 (624*) TF bf16/fp16.
_A100_SXM = entry("NVIDIA A100-SXM4-80GB", "8.0", 108, 1410, 80,
                  _ampere(19.5, 156.0, 312.0), A100_DATASHEET,
                  model="a100", forms=({"sxm4", "80gb"}, {"sxm", "80gb"}),
                  optional={"sxm", "sxm4", "80gb"})
_A100_PCIE = variant(_A100_SXM, "NVIDIA A100 80GB PCIe",
                     forms=({"pcie", "80gb"},), optional={"pcie", "80gb"})
# A800: the A100 with reduced NVLink, same compute.
_A800_PCIE = entry("NVIDIA A800 80GB PCIe", "8.0", 108, 1410, 80,
                   _ampere(19.5, 156.0, 312.0), A800_DATASHEET,
                   model="a800", forms=({"pcie"},), optional={"pcie", "80gb", "lc"})
# Volta V100: SXM2 15.7 TF fp32 / 125 TF tensor; PCIe 14 / 112; V100S 16.4 / 130.
_V100_SXM2 = entry("Tesla V100-SXM2-16GB", "7.0", 80, 1530, 16,
                   _pre_ampere(15.7, 125.0), V100_DATASHEET,
                   model="v100", forms=({"sxm2", "16gb"}, {"sxm", "16gb"}),
                   optional={"sxm", "sxm2", "16gb"})
_V100_PCIE = entry("Tesla V100-PCIE-16GB", "7.0", 80, 1380, 16,
                   _pre_ampere(14.0, 112.0), V100_DATASHEET,
                   model="v100", forms=({"pcie", "16gb"},), optional={"pcie", "16gb"})

AMPERE_TURING_VOLTA_GPUS: tuple[GpuEntry, ...] = (
    _A100_SXM,
    variant(_A100_SXM, "NVIDIA A100-SXM4-40GB", memory_gib=40,
            forms=({"sxm4", "40gb"}, {"sxm", "40gb"}), optional={"sxm", "sxm4", "40gb"}),
    _A100_PCIE,
    variant(_A100_PCIE, "NVIDIA A100-PCIE-40GB", memory_gib=40,
            forms=({"pcie", "40gb"},), optional={"pcie", "40gb"}),
    _A800_PCIE,
    variant(_A800_PCIE, "NVIDIA A800-SXM4-80GB",
            forms=({"sxm4"}, {"sxm"}), optional={"sxm", "sxm4", "80gb"}),
    # A30: 10.3 TF fp32, 82 (165*) TF tf32, 165 (330*) TF bf16.
    entry("NVIDIA A30", "8.0", 56, 1440, 24, _ampere(10.3, 82.0, 165.0), A30_DATASHEET,
          model="a30", forms=(set(),), optional={"pcie", "24gb"}),
    # A10: 31.2 TF fp32, 62.5 (125*) TF tf32, 125 (250*) TF bf16.
    entry("NVIDIA A10", "8.6", 72, 1695, 24, _ampere(31.2, 62.5, 125.0), A10_DATASHEET,
          model="a10", forms=(set(),), optional={"24gb", "pcie"}),
    # A40: 37.4 TF fp32, 74.8 (149.6*) TF tf32, 149.7 (299.4*) TF bf16.
    entry("NVIDIA A40", "8.6", 84, 1740, 48, _ampere(37.4, 74.8, 149.7), A40_DATASHEET,
          model="a40", forms=(set(),), optional={"48gb", "pcie"}),
    # Turing T4: 8.1 TF fp32, 65 TF fp16 mixed precision (no sparsity on Turing).
    entry("Tesla T4", "7.5", 40, 1590, 16, _pre_ampere(8.1, 65.0), T4_DATASHEET,
          model="t4", forms=(set(),), optional={"16gb"}),
    _V100_SXM2,
    variant(_V100_SXM2, "Tesla V100-SXM2-32GB", memory_gib=32,
            forms=({"sxm2", "32gb"}, {"sxm", "32gb"}), optional={"sxm", "sxm2", "32gb"}),
    _V100_PCIE,
    variant(_V100_PCIE, "Tesla V100-PCIE-32GB", memory_gib=32,
            forms=({"pcie", "32gb"},), optional={"pcie", "32gb"}),
    entry("Tesla V100S-PCIE-32GB", "7.0", 80, 1601, 32, _pre_ampere(16.4, 130.0), V100_DATASHEET,
          model="v100s", forms=(set(),), optional={"pcie", "32gb"}),
)
# fmt: on
