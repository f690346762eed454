"""Datasheet peak FLOP/s of NVIDIA data-center GPUs (dense; fp32 accumulate).

NVIDIA datasheets print tensor-core figures "with sparsity" (2:4 structured
sparsity doubles them); every tensor number below is the dense one, i.e. the
datasheet's starred figure halved, which is what a training step can reach.
Data-center and workstation parts run fp16/bf16 tensor math with fp32
accumulate at the full rate, which is how PyTorch accumulates.

Each entry cites its datasheet; the table shape is documented in
:mod:`mfu_advisor.probe.gpu_peaks`. GeForce and workstation RTX cards live in
:mod:`mfu_advisor.probe.gpu_peaks_data_rtx`.
"""

from __future__ import annotations

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import PeakFlops
from mfu_advisor.probe.gpu_peaks_model import GpuEntry, PeakRates, entry, tflops

H100_DATASHEET = (
    "NVIDIA H100 Tensor Core GPU datasheet, table 'Technical Specifications' "
    "(https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet); "
    "SXM5 fp32/tf32/fp16 also in the NVIDIA H100 Tensor Core GPU Architecture whitepaper, "
    "table 3 (https://resources.nvidia.com/en-us-tensor-core/gtc22-whitepaper-hopper)"
)
H200_DATASHEET = (
    "NVIDIA H200 Tensor Core GPU datasheet, table 'Technical Specifications' "
    "(https://nvdam.widen.net/s/nb5zzzsjdf/hpc-datasheet-sc23-h200-datasheet-3002446)"
)
GH200_DATASHEET = (
    "NVIDIA GH200 Grace Hopper Superchip datasheet, GPU column "
    "(https://resources.nvidia.com/en-us-grace-cpu/grace-hopper-superchip)"
)
H800_DATASHEET = (
    "NVIDIA H800 Tensor Core GPU datasheet (China market; https://www.nvidia.cn/data-center/"
    "h800/): tensor and fp32 rates as the H100 SXM / PCIe, NVLink and fp64 reduced"
)
B200_PAGE = (
    "NVIDIA HGX platform page, 'HGX B200' per-GPU specifications "
    "(https://www.nvidia.com/en-us/data-center/hgx/); SM count and boost clock are not "
    "published by NVIDIA and come from the TechPowerUp GPU database (third party)"
)
L4_DATASHEET = (
    "NVIDIA L4 Tensor Core GPU datasheet "
    "(https://resources.nvidia.com/en-us-data-center-overview/l4-gpu-datasheet)"
)
L40_DATASHEET = (
    "NVIDIA L40 GPU datasheet "
    "(https://images.nvidia.com/content/Solutions/data-center/vgpu-L40-datasheet.pdf)"
)
L40S_DATASHEET = (
    "NVIDIA L40S GPU datasheet (https://resources.nvidia.com/en-us-l40s/l40s-datasheet-28413)"
)


def _hopper(fp32: float, tf32: float, bf16: float, fp8: float) -> PeakRates:
    """Hopper, Blackwell and Ada data center, TFLOP/s dense (sparse datasheet figures / 2)."""

    def peaks(source: str) -> dict[str, PeakFlops | Unavailable]:
        return {
            "fp32": tflops(fp32, source, note="dense, CUDA cores"),
            "tf32": tflops(tf32, source, note="dense tensor core (datasheet sparse figure / 2)"),
            "bf16": tflops(bf16, source, note="dense tensor core, fp32 accumulate"),
            "fp16": tflops(bf16, source, note="dense tensor core, fp32 accumulate"),
            "fp8": tflops(fp8, source, note="dense tensor core (datasheet sparse figure / 2)"),
        }

    return peaks


#: H100 SXM5 rates (67 TF fp32, 989*/1,979*/3,958* TF tf32/bf16/fp8, *sparse), which
#: the H800, H200 and GH200 datasheets repeat for their parts.
_H100_SXM_RATES = _hopper(66.9, 494.7, 989.4, 1978.9)
#: H100 PCIe: 51 TF fp32, 756*/1,513*/3,026* TF (the H800 PCIe's too).
_H100_PCIE_RATES = _hopper(51.2, 378.0, 756.5, 1513.0)
#: H100 NVL per GPU: 60 TF fp32, 835*/1,671*/3,341* TF (the H200 NVL's too).
_NVL_RATES = _hopper(60.0, 417.5, 835.5, 1670.5)
_SXM = frozenset({"sxm", "sxm5", "hbm3", "80gb"})

# Each row: name (as NVML reports it), compute capability, SMs, boost clock MHz,
# memory GiB, dense peaks in TFLOP/s, the datasheet they come from; then the
# name tokens that select the row (gpu_peaks_model.GpuEntry).
# fmt: off
DATACENTER_GPUS: tuple[GpuEntry, ...] = (
    # Hopper.
    entry("NVIDIA H100 80GB HBM3", "9.0", 132, 1980, 80, _H100_SXM_RATES, H100_DATASHEET,
          model="h100", forms=({"sxm"}, {"sxm5"}, {"hbm3"}), optional=_SXM),
    entry("NVIDIA H100 PCIe", "9.0", 114, 1755, 80, _H100_PCIE_RATES, H100_DATASHEET,
          model="h100", forms=({"pcie"},), optional={"80gb"}),
    entry("NVIDIA H100 NVL", "9.0", 132, 1785, 94, _NVL_RATES, H100_DATASHEET,
          model="h100", forms=({"nvl"},), optional={"94gb"}),
    # H800: the H100 for the China market, same tensor rates (SXM and PCIe).
    entry("NVIDIA H800", "9.0", 132, 1980, 80, _H100_SXM_RATES, H800_DATASHEET,
          model="h800", forms=(set(), {"sxm"}), optional={"sxm", "sxm5", "80gb", "hbm3"}),
    entry("NVIDIA H800 PCIe", "9.0", 114, 1755, 80, _H100_PCIE_RATES, H800_DATASHEET,
          model="h800", forms=({"pcie"},), optional={"80gb"}),
    # H200 SXM: same compute as H100 SXM, 141 GB HBM3e; H200 NVL as H100 NVL.
    entry("NVIDIA H200", "9.0", 132, 1980, 141, _H100_SXM_RATES, H200_DATASHEET,
          model="h200", forms=(set(), {"sxm"}), optional={"sxm", "sxm5", "141gb", "hbm3e"}),
    entry("NVIDIA H200 NVL", "9.0", 132, 1785, 141, _NVL_RATES, H200_DATASHEET,
          model="h200", forms=({"nvl"},), optional={"141gb"}),
    # GH200: the Hopper GPU of the superchip, same rates as H100 SXM.
    entry("NVIDIA GH200", "9.0", 132, 1980,
          Unavailable("96 GB HBM3 or 144 GB HBM3e depending on the version"),
          _H100_SXM_RATES, GH200_DATASHEET,
          model="gh200", forms=(set(),), optional={"96gb", "120gb", "144gb", "480gb", "hbm3e"}),
    # Blackwell. HGX B200 per GPU: 75 TF fp32, 2.2*/4.5*/9* PF tf32/bf16/fp8.
    entry("NVIDIA B200", "10.0", 148, 1980, 180, _hopper(75.0, 1100.0, 2250.0, 4500.0), B200_PAGE,
          model="b200", forms=(set(), {"sxm"}), optional={"sxm", "sxm6", "180gb", "192gb"}),
    # Ada data center. L4: 30.3 TF fp32, 120*/242*/485* TF tf32/bf16/fp8.
    entry("NVIDIA L4", "8.9", 58, 2040, 24, _hopper(30.3, 60.0, 121.0, 242.5), L4_DATASHEET,
          model="l4", forms=(set(),), optional={"24gb"}),
    # L40: 90.5 TF fp32, 90.5 (181*) tf32, 181.05 (362.1*) bf16, 362 (724*) fp8. The
    # datasheet's tensor rates are half the L40S's at a similar clock on the same AD102.
    entry("NVIDIA L40", "8.9", 142, 2490, 48, _hopper(90.5, 90.5, 181.05, 362.0), L40_DATASHEET,
          model="l40", forms=(set(),), optional={"48gb"}),
    # L40S: 91.6 TF fp32, 183 (366*) tf32, 362.05 (733*) bf16, 733 (1,466*) fp8.
    entry("NVIDIA L40S", "8.9", 142, 2520, 48, _hopper(91.6, 183.0, 362.05, 733.0),
          L40S_DATASHEET, model="l40s", forms=(set(),), optional={"48gb"}),
)
# fmt: on
