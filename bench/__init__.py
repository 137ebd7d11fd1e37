"""Benchmarks of stkkr against hand-written baselines, on the local AFAS simulator.

`python -m bench` (or `make bench`) measures throughput and memory (see `bench.__main__`);
`python -m bench.prune` measures pruning a million error records.
"""
