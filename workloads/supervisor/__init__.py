"""`windmill up`: one supervisor runs the whole local system and keeps it running.

- `lock`: one supervisor per `$WINDMILL_HOME` (an advisory file lock).
- `process`: generic supervision of child processes (restart with backoff, ledger
  records, clean stop), independent of what the children are.
- `stack`: the windmill components (backfill, generator, pipeline, dispatcher,
  dashboard) as command lines of the `windmill` CLI.
- `status`: the summary `windmill status` prints (the same as `/api/status`).
"""
