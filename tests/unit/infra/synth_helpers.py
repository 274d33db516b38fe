"""Synthesis helpers for the infra tests (one jsii process per test session)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from infra.cdk import Testing
from infra.config import EnvironmentConfig, load_config
from infra.stacks import GoldAccessStack, WorkspaceStack

REFERENCE = re.compile(r"\$\{(?:data\.)?([a-z_]+)\.([A-Za-z0-9_-]+)\.")


def config(env: str = "dev", **overrides: Any) -> EnvironmentConfig:
    """The env's config from cdktf.json, with no WINDMILL_* variables, plus overrides."""
    base = load_config(env, environ={})
    return replace(base, **overrides)


_CACHE: dict[str, tuple[Any, str]] = {}


def _synth(env: str, kind: str, overrides: dict[str, Any]) -> tuple[Any, str]:
    key = repr((env, kind, sorted(overrides.items())))
    if key not in _CACHE:
        app = Testing.app()
        stack_class = WorkspaceStack if kind == "workspace" else GoldAccessStack
        built = stack_class(app, f"test-{env}-{kind}", config=config(env, **overrides))
        _CACHE[key] = (built, Testing.synth(built))
    return _CACHE[key]


def synth(env: str = "dev", kind: str = "workspace", **overrides: Any) -> str:
    """Synthesized JSON of a stack (cached per env, kind and overrides)."""
    return _synth(env, kind, overrides)[1]


def stack(env: str = "dev", kind: str = "workspace", **overrides: Any):
    """The synthesized stack object itself."""
    return _synth(env, kind, overrides)[0]


def resources(synthesized: str, resource_type: str) -> list[dict[str, Any]]:
    """The resources of one type, without their metadata."""
    found = json.loads(synthesized).get("resource", {}).get(resource_type, {})
    return [{k: v for k, v in r.items() if k != "//"} for r in found.values()]


def one(synthesized: str, resource_type: str, **match: Any) -> dict[str, Any]:
    """The single resource of a type whose top-level fields equal `match`."""
    hits = [
        r
        for r in resources(synthesized, resource_type)
        if all(r.get(k) == v for k, v in match.items())
    ]
    assert len(hits) == 1, f"{len(hits)} {resource_type} match {match}"
    return hits[0]


def declared_addresses(synthesized: str) -> set[tuple[str, str]]:
    doc = json.loads(synthesized)
    addresses = set()
    for block in ("resource", "data"):
        for rtype, items in doc.get(block, {}).items():
            addresses.update((rtype, name) for name in items)
    return addresses


def references(synthesized: str) -> set[tuple[str, str]]:
    return set(REFERENCE.findall(synthesized))
