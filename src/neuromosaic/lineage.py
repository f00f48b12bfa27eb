"""A bred picture's lineage: the steps that made its net from the root net, replayable exactly.

A step is ``{"op": "mutate", "strength": 0.3, "seed": 17}`` (:func:`~neuromosaic.evolve.mutate`)
or ``{"op": "cross", "seed": 5, "from": 2, "with": [steps…]}``
(:func:`~neuromosaic.evolve.crossover` with another parent). The other parent shares this
lineage's first ``from`` steps (``0``: only the root) and then takes its own ``with`` steps, so a
cross of two siblings records one step, not the whole family twice. ``PaintConfig(lineage=…)``
replays the steps on the net its other fields build; its PNGs carry them, so ``paint --from``
re-renders a bred picture.

The text form, for URLs, is the same record: ``m0.3s17`` (mutate, strength 0.3, seed 17),
``c5f2(m0.3s9)`` (cross, seed 5, from 2, with one mutate step), steps joined by ``_``:
``m0.3s17_m0.3s4_c5f2(m0.3s9)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator

from .errors import NeuromosaicError, SpecError, TooLargeError
from .spec import MAX_SEED, Validated

__all__ = ["MAX_DEPTH", "MAX_STEPS", "MAX_TEXT", "Cross", "Mutate", "as_steps", "count_steps",
           "cross_lineages", "lineage_text", "parse_lineage", "replay"]

#: steps in one lineage, those inside crossings included: replaying 200 steps takes 0.7 s for
#: the article's 8 × 16 net and 4.6 s for the lab's largest (1024, 1024) on one core here, and
#: the record stays under 16 KB as JSON (9.5 KB for 200 mutations) and as text
MAX_STEPS = 200
#: crossings nested inside crossings (each nests the JSON two levels deeper; 64 is the cap)
MAX_DEPTH = 8
#: characters of the text form (200 steps of the longest spelling fit)
MAX_TEXT = 12_000
TOO_MANY = (f"lineage: at most {MAX_STEPS} steps (crossings' own included), got more; start a new "
            "picture from this one's seed")

_STEP_MODEL = ConfigDict(extra="forbid", frozen=True, validate_by_name=True,
                         validate_by_alias=True, serialize_by_alias=True)


class Mutate(Validated):
    """Add ``strength × σ_layer × N(0, 1)`` noise to every weight and bias, drawn from ``seed``."""

    model_config = _STEP_MODEL
    op: Literal["mutate"] = "mutate"
    strength: float
    seed: int

    @field_validator("strength")
    @classmethod
    def _strength(cls, v: float) -> float:
        from .evolve import MAX_STRENGTH
        from .values import parse_float

        return _plain(parse_float, v, what="strength", low=0.0, high=MAX_STRENGTH)

    @field_validator("seed")
    @classmethod
    def _seed(cls, v: int) -> int:
        from .values import parse_int

        return _plain(parse_int, v, what="seed", low=0, high=MAX_SEED)


class Cross(Validated):
    """Cross with another parent: this lineage's first ``from_`` steps, then the ``with_`` steps."""

    model_config = _STEP_MODEL
    op: Literal["cross"] = "cross"
    seed: int
    from_: int = Field(0, alias="from")
    with_: tuple[Step, ...] = Field((), alias="with")

    @field_validator("seed", "from_")
    @classmethod
    def _int(cls, v: int, info) -> int:
        from .values import parse_int

        return _plain(parse_int, v, what=info.field_name.rstrip("_"), low=0, high=MAX_SEED)


Step = Annotated[Mutate | Cross, Field(discriminator="op")]
Cross.model_rebuild()


def _plain(parse, value, **kwargs):
    """``parse(value, **kwargs)`` with its SpecError as the ValueError pydantic reports."""
    try:
        return parse(value, **kwargs)
    except NeuromosaicError as exc:
        raise ValueError(str(exc).split(" ", 1)[1]) from None  # "must be …": pydantic names the field


def count_steps(raw: Any, *, depth: int = 0) -> int:
    """Steps in a lineage (a list of step models or their JSON dicts), those inside crossings
    included; ``TooLargeError`` past :data:`MAX_STEPS` or :data:`MAX_DEPTH`, found before any
    model is built."""
    if depth > MAX_DEPTH:
        raise TooLargeError(f"lineage: crossings may nest {MAX_DEPTH} deep, got deeper")
    if not isinstance(raw, (list, tuple)):
        raise SpecError(f"lineage must be a list of steps, got {type(raw).__name__}")
    total = 0
    for step in raw:
        total += 1
        inner = step.get("with", step.get("with_")) if isinstance(step, dict) else getattr(step, "with_", None)
        if inner:
            total += count_steps(inner, depth=depth + 1)
        if total > MAX_STEPS:
            raise TooLargeError(TOO_MANY)
    return total


def _check_from(steps: Sequence) -> None:
    for i, step in enumerate(steps):
        if isinstance(step, Cross):
            if step.from_ > i:
                raise SpecError(f"lineage step {i + 1}: a cross can only share the steps before it "
                                f"(from <= {i}), got from={step.from_}")
            _check_from(step.with_)


def as_steps(value: Any) -> tuple[Mutate | Cross, ...]:
    """A lineage as validated steps, from ``None``, its text form, or a list of steps or dicts.
    ``TooLargeError`` past the caps, ``SpecError`` for anything malformed (one line each)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return parse_lineage(value)
    count_steps(value)
    steps = []
    for i, raw in enumerate(value):
        if isinstance(raw, (Mutate, Cross)):
            steps.append(raw)
        elif isinstance(raw, dict) and raw.get("op") in ("mutate", "cross"):
            steps.append((Mutate if raw["op"] == "mutate" else Cross)(**raw))
        else:
            raise SpecError(f"lineage step {i + 1} must be {{'op': 'mutate' | 'cross', …}}, got {raw!r:.60}")
    _check_from(steps)
    return tuple(steps)


# -- the text form ---------------------------------------------------------------------------
# bounded lengths: int() refuses strings of over 4,300 digits, and seeds have at most 19
_MUTATE = re.compile(r"m([0-9.eE+-]{1,32})s([0-9]{1,20})")
_CROSS = re.compile(r"c([0-9]{1,20})(?:f([0-9]{1,20}))?\(")


def _number(x: float) -> str:
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def lineage_text(steps: Any) -> str:
    """The text form of a lineage (see the module docstring); ``""`` for none."""
    parts = []
    for step in as_steps(steps):
        if isinstance(step, Mutate):
            parts.append(f"m{_number(step.strength)}s{step.seed}")
        else:
            parts.append(f"c{step.seed}{f'f{step.from_}' if step.from_ else ''}({lineage_text(step.with_)})")
    return "_".join(parts)


def parse_lineage(text: str) -> tuple[Mutate | Cross, ...]:
    """Steps from the text form: ``"m0.3s17_c5f1(m0.3s9)"``. One-line errors: ``SpecError`` at
    the first character that does not fit, ``TooLargeError`` past the caps."""
    if not isinstance(text, str):
        raise SpecError(f"lineage text must be a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise TooLargeError(f"lineage text may be {MAX_TEXT:,} characters long, got {len(text):,}")
    steps, end = _parse(text.strip(), 0, 0)
    if end != len(text.strip()):
        raise SpecError(f"lineage: steps look like m0.3s17 or c5f2(m0.3s9), joined by _; got "
                        f"{text.strip()[end]!r} at character {end + 1} of {text.strip()!r:.60}")
    return as_steps(steps)


def _parse(text: str, pos: int, depth: int) -> tuple[list, int]:
    """Steps from ``text[pos:]`` up to a ``)`` or the end; returns them and where they stop."""
    if depth > MAX_DEPTH:
        raise TooLargeError(f"lineage: crossings may nest {MAX_DEPTH} deep, got deeper")
    steps: list = []
    while pos < len(text) and text[pos] != ")":
        if steps:
            if text[pos] != "_":
                break
            pos += 1
        if m := _MUTATE.match(text, pos):
            steps.append({"op": "mutate", "strength": m.group(1), "seed": int(m.group(2))})
            pos = m.end()
        elif m := _CROSS.match(text, pos):
            inner, pos = _parse(text, m.end(), depth + 1)
            if pos >= len(text) or text[pos] != ")":
                raise SpecError(f"lineage: the cross at character {m.start() + 1} needs a closing "
                                f"')', got {text[m.start():]!r:.40}")
            steps.append({"op": "cross", "seed": int(m.group(1)), "from": int(m.group(2) or 0),
                          "with": inner})
            pos += 1
        else:
            break
        if len(steps) > MAX_STEPS:
            raise TooLargeError(TOO_MANY)
    return steps, pos


# -- using a lineage ---------------------------------------------------------------------------
def replay(net, steps: Any, *, progress: Callable | None = None):
    """The net ``steps`` make from ``net``: each step applied to the result of the one before.

    Arguments:
        net: the root net (not changed); returned as it is when there are no steps.
        steps: a lineage (see :func:`as_steps`).
        progress: called as ``progress(done, total)`` after each step (the lab stops a request
            past its time limit there).
    """
    from .evolve import crossover, mutate

    steps = as_steps(steps)
    shared = {s.from_ for s in steps if isinstance(s, Cross)}  # the prefixes a cross reuses
    kept = {0: net} if 0 in shared else {}
    for i, step in enumerate(steps, 1):
        if isinstance(step, Mutate):
            net = mutate(net, step.strength, step.seed)
        else:
            other = replay(kept[step.from_], step.with_, progress=progress)
            net = crossover(net, other, step.seed)
        if i in shared:
            kept[i] = net
        if progress is not None:
            progress(i, len(steps))
    return net


def cross_lineages(a: Any, b: Any, seed: int) -> tuple[Mutate | Cross, ...]:
    """The lineage of ``crossover(net_a, net_b, seed)`` for two pictures of the same root:
    ``a``'s steps and one cross step that shares their common first steps and adds ``b``'s
    others. ``TooLargeError`` when the result passes the caps."""
    a, b = as_steps(a), as_steps(b)
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    return as_steps([*a, Cross(seed=seed, from_=k, with_=b[k:])])
