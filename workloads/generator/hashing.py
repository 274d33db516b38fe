"""Deterministic random numbers for the generator: counter-based hashes, no state.

Every random quantity is a hash of (seed, turbine, time, channel), so any reading can
be recomputed alone, in any order, on any worker, and the same seed always gives the
same readings. splitmix64 mixing; uniforms from the top 53 bits; bounded noise.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fast, well-spread 64-bit hash."""
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def hash64(*keys: np.ndarray | int) -> np.ndarray:
    """A uint64 hash of integer keys (arrays broadcast against each other)."""
    with np.errstate(over="ignore"):
        h = mix(np.atleast_1d(np.asarray(keys[0])).astype(np.uint64))
        for key in keys[1:]:
            h = mix(h ^ np.atleast_1d(np.asarray(key)).astype(np.uint64))
    return h


def derive(base: np.ndarray, channel: int) -> np.ndarray:
    """An independent hash per channel from one base hash (one mixing round)."""
    with np.errstate(over="ignore"):
        return mix(base ^ (np.uint64(channel) * _M2))


def to_uniform(h: np.ndarray) -> np.ndarray:
    """The top 53 bits of a hash as a uniform number in [0, 1)."""
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def uniform(*keys: np.ndarray | int) -> np.ndarray:
    """Deterministic uniform numbers in [0, 1)."""
    return to_uniform(hash64(*keys))


U16 = 1.0 / 65536.0
_TRIANGLE = float(np.sqrt(6.0))


def noise_pair(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two independent noises (mean 0, standard deviation 1, always within +-2.45) per hash.

    Each is the sum of two 16-bit uniforms (a triangular distribution): it looks
    like measurement noise but is bounded, which is what keeps healthy readings from
    ever crossing a fault threshold.
    """
    mask = np.uint64(0xFFFF)
    parts = [((h >> np.uint64(shift)) & mask).astype(np.float64) for shift in (0, 16, 32, 48)]
    first = ((parts[0] + parts[1]) * U16 - 1.0) * _TRIANGLE
    second = ((parts[2] + parts[3]) * U16 - 1.0) * _TRIANGLE
    return first, second


NOISE_BOUND = _TRIANGLE


def reading_hash(seed: int, turbine_number: np.ndarray, timestamp_ms: np.ndarray) -> np.ndarray:
    """One hash per reading, from which every per-reading random quantity derives."""
    packed = (np.asarray(turbine_number, dtype=np.int64).astype(np.uint64) << np.uint64(44)) ^ (
        np.asarray(timestamp_ms, dtype=np.int64).astype(np.uint64)
    )
    with np.errstate(over="ignore"):
        return mix(packed ^ hash64(seed, 0x5EED))
