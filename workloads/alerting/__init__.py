"""The notifier: fault episodes and failed runs → notifications with Alertmanager's semantics.

    episodes (gold_fault_episodes) ─┐
    failed pipeline updates/runs ───┼─► rules.evaluate ─► outbox ─► delivery ─► channels
    acks / silences (actions) ──────┘                 ▲ retries, dead letters, rate limit

`rules` decides what should be sent (grouping, repeat, inhibition, ack, silence) with an
injected clock; the outbox (store.py: SQLite under $WINDMILL_HOME; delta.py: Delta
tables on Databricks) keeps every notification until a channel took it; `channels`
speak Alertmanager's webhook JSON or apprise; `notifier` is the loop of `windmill notify`.
"""
