"""Data-parallel runs through torch.distributed: ``bench --nproc-per-node N``
(docs/distributed.md): run.py launches, launch.py watches, worker.py is one rank."""
