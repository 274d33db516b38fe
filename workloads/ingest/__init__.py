"""`windmill ingest`: an operator's own SCADA exports into the landing folder (issue 21).

mapping (the TOML file) -> readers (CSV/Parquet, streamed) -> convert (to the contract,
Arrow compute) -> jsonl (encode) -> landing (atomic, deterministic names); run ties them
together, assets feeds the turbine registry (`workloads.registry`), sample builds
vendor-style exports from the generator's physics for tests and the benchmark.
"""
