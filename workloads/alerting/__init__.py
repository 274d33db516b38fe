"""The notifier: fault episodes and failed runs → notifications with Alertmanager's semantics.

    episodes (gold_fault_episodes) ─┐
    failed pipeline updates/runs ───┼─► rules.evaluate ─► outbox (SQLite) ─► delivery ─► channels
    acks / silences (actions) ──────┘                         ▲ retries, dead letters, rate limit

`rules` decides what should be sent (grouping, repeat, inhibition, ack, silence) with an
injected clock; `outbox` keeps every notification until a channel took it; `channels`
speak Alertmanager's webhook JSON or apprise; `notifier` is the loop of `windmill notify`.
"""
