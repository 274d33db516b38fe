"""The local engine: runs the pipeline with open-source Spark Declarative Pipelines and
serves the local tables to other commands (`windmill sql`, `windmill dispatch`)."""
