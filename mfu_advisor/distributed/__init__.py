"""Data-parallel runs through torch.distributed: ``bench --nproc-per-node N`` (docs/distributed.md).

The launcher (launch.py) starts the job with ``python -m torch.distributed.run``
(torchrun) and watches each rank's status file (status.py); every rank runs
worker.py, which measures steps with and without DDP's gradient all-reduce;
bench/multi_rank.py turns the ranks' measurements into per-rank and job figures;
run.py puts it together into a bench result.
"""
