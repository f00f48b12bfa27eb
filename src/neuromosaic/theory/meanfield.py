"""Mean-field theory of random deep networks: order, chaos and the edge between them.

A layer computes ``h^{l+1} = W φ(h^l) + b`` with ``W_ij ~ (0, σ_w²/fan_in)`` and ``b_i ~ (0, σ_b²)``.
For wide layers the pre-activations are Gaussian and three maps describe the whole net
(Poole, Lahiri, Raghu, Sohl-Dickstein & Ganguli 2016, "Exponential expressivity in deep neural
networks through transient chaos"; Schoenholz, Gilmer, Ganguli & Sohl-Dickstein 2017, "Deep
information propagation"):

- the length map ``q ↦ σ_w² E[φ(√q z)²] + σ_b²`` and its fixed point ``q*``;
- ``χ1 = σ_w² E[φ'(√q* z)²]``: the factor by which a small displacement's squared length grows
  per layer. ``χ1 < 1``: ordered (nearby inputs merge, the CPPN paints flat grey);
  ``χ1 > 1``: chaotic (they separate, the picture fills with structure); ``χ1 = 1``: the edge;
- the correlation map ``c ↦ (σ_w² E[φ(u1) φ(u2)] + σ_b²) / q*`` (``u1, u2`` unit-correlated ``c``
  Gaussians of variance ``q*``), its stable fixed point ``c*``, and the depth scales
  ``ξ_q = −1/log(χ1 + σ_w² E[φ''φ])`` and ``ξ_c = −1/log(σ_w² E[φ'(u1) φ'(u2)])`` at ``c*``.

Expectations ``E[f(X)]``, ``X ~ N(m, v)``, are computed by composite Gauss–Legendre quadrature on
panels in ``x``-space (``numpy.polynomial.legendre``): the panels resolve both the Gaussian (width
``√v``) and the activation (features of width ~1, kinks placed on panel ends, so piecewise-linear
activations are integrated exactly). Plain Gauss–Hermite in ``z`` cannot do this at large ``q``:
for ``uniform:100`` weights ``√q* ≈ 230`` and ``tanh'(√q* z)⁴`` is 1/230 wide in ``z`` (the tests
check the two rules agree where Gauss–Hermite works).

:func:`init_to_sigmas` maps every ``--init`` of paint to ``(σ_w, σ_b)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import SpecError, field_error
from ..spec import check_activation

__all__ = [
    "MeanField",
    "analyse",
    "chi1",
    "correlation_map",
    "c_star",
    "expect",
    "length_map",
    "length_trajectory",
    "q_star",
]

_SQRT2 = math.sqrt(2.0)
_Q_BIG = 1e12  # the q -> ∞ limit of an unbounded length map is evaluated here
_Q_TINY = 1e-30  # ... and the q -> 0 limit here


def _erf(x: np.ndarray) -> np.ndarray:
    from math import erf

    return np.vectorize(erf, otypes=[float])(x)


def _gelu(x):
    return 0.5 * x * (1.0 + _erf(x / _SQRT2))


def _gelu_d(x):
    return 0.5 * (1.0 + _erf(x / _SQRT2)) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@dataclass(frozen=True)
class _Act:
    phi: Callable[[np.ndarray], np.ndarray]
    dphi: Callable[[np.ndarray], np.ndarray]
    ddphi: Callable[[np.ndarray], np.ndarray]  # the smooth part of φ''
    kinks: tuple[tuple[float, float], ...] = ()  # (x, jump of φ' at x): φ'' has jump·δ(x) there
    periodic: bool = False


def _zero(x):
    return np.zeros_like(x)


def _pwl(slopes_left: float, slope_right: float, at: float = 0.0) -> _Act:
    a, b = slopes_left, slope_right
    return _Act(lambda x: np.where(x > at, b * (x - at), a * (x - at)),
                lambda x: np.where(x > at, b, a), _zero, ((at, b - a),))


_ACTS: dict[str, _Act] = {
    "tanh": _Act(np.tanh, lambda x: 1.0 - np.tanh(x) ** 2,
                 lambda x: -2.0 * np.tanh(x) * (1.0 - np.tanh(x) ** 2)),
    "relu": _pwl(0.0, 1.0),
    "leaky_relu": _pwl(0.01, 1.0),
    "prelu": _pwl(0.25, 1.0),  # PReLU at its init slope 0.25, as spec.ACTIVATIONS builds it
    "abs": _pwl(-1.0, 1.0),
    "identity": _Act(lambda x: x, np.ones_like, _zero),
    "hardtanh": _Act(lambda x: np.clip(x, -1.0, 1.0), lambda x: (np.abs(x) < 1).astype(float),
                     _zero, ((-1.0, 1.0), (1.0, -1.0))),
    "sigmoid": _Act(_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
                    lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x))),
    "sin": _Act(np.sin, np.cos, lambda x: -np.sin(x), periodic=True),
    "gaussian": _Act(lambda x: np.exp(-x * x), lambda x: -2 * x * np.exp(-x * x),
                     lambda x: (4 * x * x - 2) * np.exp(-x * x)),
    "softplus": _Act(lambda x: np.logaddexp(0.0, x), _sigmoid,
                     lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "elu": _Act(lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
                lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))),
                lambda x: np.where(x > 0, 0.0, np.exp(np.minimum(x, 0)))),
    "gelu": _Act(_gelu, _gelu_d,
                 lambda x: (2 - x * x) * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)),
}


def _act(name: str) -> _Act:
    key = check_activation(name)
    if key not in _ACTS:
        raise SpecError(f"no mean field for activation {name!r}; allowed: {', '.join(sorted(_ACTS))}")
    return _ACTS[key]


def check_sigmas(sigma_w: float, sigma_b: float) -> tuple[float, float]:
    try:
        sw, sb = float(sigma_w), float(sigma_b)
    except (TypeError, ValueError):
        raise SpecError(f"sigma_w and sigma_b must be numbers, got {sigma_w!r}, {sigma_b!r}") from None
    if not math.isfinite(sw) or sw <= 0:
        raise field_error(SpecError, "sigma_w", f"must be a finite number > 0, got {sigma_w!r}")
    if not math.isfinite(sb) or sb < 0:
        raise field_error(SpecError, "sigma_b", f"must be a finite number >= 0, got {sigma_b!r}")
    return sw, sb


# -- quadrature ----------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _legendre(order: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(order)


def _rules(means: np.ndarray, var: float, act: _Act, *, panels: int = 48, feature: float = 0.5,
           order: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``x`` and weights ``w``, both ``(M, P)``, with ``Σ_p w[m, p] f(x[m, p]) ≈ E[f(X)]``,
    ``X ~ N(means[m], var)``: one rule per mean, all with the same number of nodes.

    Panel ends: ``panels + 1`` points over ``mean ± 11·√var``; a fixed grid of step ``feature`` over
    ``[-12, 12]`` (where every non-periodic activation has its features; panels far from the
    Gaussian get ~0 weight); every kink. Periodic activations get Gaussian panels no wider than
    ``feature`` instead (at most 4000).
    """
    means = np.atleast_1d(np.asarray(means, dtype=float))
    sd = math.sqrt(var)
    if sd == 0.0:
        return means[:, None], np.ones((means.size, 1))
    if act.periodic:
        n = int(min(4000, max(panels, math.ceil(22.0 * sd / feature))))
        fixed = np.array([])
    else:
        n = panels
        fixed = np.arange(-12.0, 12.0 + feature / 2, feature)
    fixed = np.concatenate([fixed, [k for k, _ in act.kinks]])
    gauss = means[:, None] + sd * np.linspace(-11.0, 11.0, n + 1)[None, :]
    edges = np.sort(np.concatenate([gauss, np.broadcast_to(fixed, (means.size, fixed.size))], 1), 1)
    left, width = edges[:, :-1], np.diff(edges, axis=1)
    t, tw = _legendre(order)
    x = (left[..., None] + 0.5 * width[..., None] * (t + 1.0)).reshape(means.size, -1)
    pdf = np.exp(-0.5 * ((x - means[:, None]) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
    w = (0.5 * width[..., None] * tw).reshape(means.size, -1) * pdf
    return x, w


def _rule(mean: float, var: float, act: _Act, **kw) -> tuple[np.ndarray, np.ndarray]:
    x, w = _rules(np.array([mean]), var, act, **kw)
    return x[0], w[0]


def expect(activation: str, fn: str, q: float) -> float:
    """``E[g(√q z)]``, ``z ~ N(0, 1)``, for ``g`` one of ``"phi2"`` (φ²), ``"dphi2"`` (φ'²),
    ``"ddphi_phi"`` (φ''·φ, kinks' deltas included) or ``"phi"`` (φ)."""
    act = _act(activation)
    if not (q >= 0 and math.isfinite(q)):
        raise SpecError(f"q must be a finite number >= 0, got {q!r}")
    x, w = _rule(0.0, q, act)
    if fn == "phi":
        return float(w @ act.phi(x))
    if fn == "phi2":
        return float(w @ act.phi(x) ** 2)
    if fn == "dphi2":
        return float(w @ act.dphi(x) ** 2)
    if fn == "ddphi_phi":
        smooth = float(w @ (act.ddphi(x) * act.phi(x)))
        sd = math.sqrt(q)
        deltas = 0.0
        if sd > 0:
            for at, jump in act.kinks:
                pdf = math.exp(-0.5 * (at / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
                deltas += jump * float(act.phi(np.array([at]))[0]) * pdf
        return smooth + deltas
    raise SpecError(f"unknown expectation {fn!r}; allowed: phi, phi2, dphi2, ddphi_phi")


# -- the length map ------------------------------------------------------------------------
def length_map(activation: str, q: float, *, sigma_w: float, sigma_b: float = 0.0) -> float:
    """One layer of the length map: ``σ_w² E[φ(√q z)²] + σ_b²`` (Poole et al. 2016, Eq. 3)."""
    sw, sb = check_sigmas(sigma_w, sigma_b)
    return sw * sw * expect(activation, "phi2", q) + sb * sb


def length_trajectory(activation: str, *, sigma_w: float, sigma_b: float = 0.0, q0: float = 1.0,
                      depth: int = 8) -> np.ndarray:
    """``q^1 … q^depth``: the predicted variance of each layer's pre-activations, shape ``(depth,)``,
    when the previous layer's activations have mean square ``q0`` (a CPPN's input: its
    coordinates' mean square). ``q^1 = σ_w² q0 + σ_b²``; then the length map."""
    sw, sb = check_sigmas(sigma_w, sigma_b)
    if depth < 1:
        raise SpecError(f"depth must be >= 1, got {depth}")
    qs = [sw * sw * float(q0) + sb * sb]
    for _ in range(depth - 1):
        qs.append(length_map(activation, qs[-1], sigma_w=sw, sigma_b=sb))
    return np.array(qs)


def bracket_root(f: Callable[[float], float], a: float, b: float, fa: float, fb: float) -> float:
    """A root of ``f`` in ``[a, b]`` where ``fa`` and ``fb`` differ in sign (Illinois method)."""
    side = 0
    for _ in range(200):
        c = (a * fb - b * fa) / (fb - fa)
        if not (min(a, b) < c < max(a, b)):
            c = 0.5 * (a + b)
        fc = f(c)
        if fc == 0 or abs(b - a) <= 1e-14 * max(abs(a), abs(b)):
            return c
        if (fc > 0) == (fb > 0):
            b, fb = c, fc
            if side == -1:
                fa *= 0.5
            side = -1
        else:
            a, fa = c, fc
            if side == 1:
                fb *= 0.5
            side = 1
    return 0.5 * (a + b)


def q_star(activation: str, *, sigma_w: float, sigma_b: float = 0.0, q0: float = 1.0) -> float:
    """The fixed point ``q*`` of the length map reached from ``q0`` (the attracting one).

    Returns ``0.0`` when lengths shrink to nothing (e.g. tanh, ``σ_b = 0``, ``σ_w <= 1``) and
    ``inf`` when they grow without bound (an unbounded φ with a large ``σ_w``, e.g. ReLU with
    ``σ_w > √2``).
    """
    sw, sb = check_sigmas(sigma_w, sigma_b)
    act = check_activation(activation)

    def gap(q: float) -> float:  # sign of F(q) − q, computed as F(q)/q − 1 (well scaled)
        return length_map(act, q, sigma_w=sw, sigma_b=sb) / q - 1.0

    q0 = float(q0)
    g0 = gap(q0)
    if abs(g0) < 1e-13:
        return q0
    grid = np.logspace(-12, 12, 49)
    if g0 > 0:
        prev, gprev = q0, g0
        for q in grid[grid > q0]:
            g = gap(q)
            if g <= 0:
                return float(bracket_root(gap, prev, q, gprev, g))
            prev, gprev = q, g
        return math.inf
    prev, gprev = q0, g0
    for q in grid[grid < q0][::-1]:
        g = gap(q)
        if g >= 0:
            return float(bracket_root(gap, q, prev, g, gprev))
        prev, gprev = q, g
    return 0.0


def _q_eff(q: float) -> float:
    return min(max(q, _Q_TINY), _Q_BIG)


def chi1(activation: str, *, sigma_w: float, sigma_b: float = 0.0, q: float | None = None) -> float:
    """``χ1 = σ_w² E[φ'(√q* z)²]`` (Poole et al. 2016, Eq. 7; Schoenholz et al. 2017, Eq. 5).

    ``q`` defaults to :func:`q_star`; ``q* = 0`` or ``∞`` use the limits ``q → 0⁺`` / ``q → ∞``.
    """
    sw, sb = check_sigmas(sigma_w, sigma_b)
    if q is None:
        q = q_star(activation, sigma_w=sw, sigma_b=sb)
    return sw * sw * expect(activation, "dphi2", _q_eff(q))


def _pair_expect(act: _Act, q: float, c: float, f: Callable, g: Callable) -> float:
    """``E[f(u1) g(u2)]`` for ``(u1, u2)`` Gaussian with variances ``q`` and correlation ``c``:
    ``u2 | u1 ~ N(c·u1, q(1 − c²))``, an inner rule per outer node."""
    x1, w1 = _rule(0.0, q, act)
    inner = np.empty_like(x1)
    # the inner rules are (outer nodes × inner nodes): build them in slices so that a wide
    # Gaussian over a periodic activation (thousands of nodes each way) stays in bounded memory
    step = max(1, 4_000_000 // (6 * (4000 if act.periodic else 100)))  # ≤ ~32 MB per array
    for lo in range(0, x1.size, step):
        x2, w2 = _rules(c * x1[lo:lo + step], q * max(0.0, 1.0 - c * c), act, panels=24,
                        feature=1.0, order=6)
        inner[lo:lo + step] = np.sum(w2 * g(x2), axis=1)
    return float(w1 @ (f(x1) * inner))


def _corr(act: _Act, q: float, c: float, sw: float, sb: float) -> float:
    # normalised by the next layer's length F(q) (= q at a finite fixed point), so that
    # c = 1 maps to 1 also when q* = ∞
    x, w = _rule(0.0, q, act)
    length = sw * sw * float(w @ act.phi(x) ** 2) + sb * sb
    return (sw * sw * _pair_expect(act, q, c, act.phi, act.phi) + sb * sb) / length


def correlation_map(activation: str, c: float, *, sigma_w: float, sigma_b: float = 0.0,
                    q: float | None = None) -> float:
    """One layer of the correlation map (Poole et al. 2016, Eq. 5):
    ``c ↦ (σ_w² E[φ(u1) φ(u2)] + σ_b²) / q*``, ``u1, u2`` of variance ``q*`` and correlation ``c``.

    It is divided by the length map ``F(q)`` (``= q*`` at the fixed point), so ``c = 1 ↦ 1`` also
    when ``q* = ∞`` (the map is then its ``q → ∞`` limit)."""
    sw, sb = check_sigmas(sigma_w, sigma_b)
    if not -1.0 <= c <= 1.0:
        raise SpecError(f"c must be a correlation in [-1, 1], got {c!r}")
    act = _act(activation)
    qe = _q_eff(q_star(activation, sigma_w=sw, sigma_b=sb) if q is None else q)
    return _corr(act, qe, c, sw, sb)


def c_star(activation: str, *, sigma_w: float, sigma_b: float = 0.0) -> float:
    """The stable fixed point of the correlation map: ``1`` when ``c = 1`` is stable (its slope
    there, ``χ1`` at a finite ``q*``, is at most 1: the ordered phase), else the fixed point in
    ``[0, 1)`` (the chaotic phase; found by bracketing)."""
    sw, sb = check_sigmas(sigma_w, sigma_b)
    act = _act(activation)
    q = q_star(activation, sigma_w=sw, sigma_b=sb)
    if math.isinf(q):
        # lengths grow without bound: φ acts as its positively homogeneous limit, whose
        # normalised map has slope exactly 1 at c = 1 (c → 1 polynomially, not exponentially)
        return 1.0
    q = _q_eff(q)
    if chi1(activation, sigma_w=sw, sigma_b=sb, q=q) <= 1.0:
        return 1.0

    def gap(c: float) -> float:
        return _corr(act, q, c, sw, sb) - c

    # the first crossing from above on a grid: near c = 1 the map is flat to ~1e-6 and
    # quadrature noise could fake a crossing there
    prev, gprev = 0.0, gap(0.0)
    if gprev <= 0.0:
        return 0.0
    for c in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999):
        g = gap(c)
        if g <= 0.0:
            return float(bracket_root(gap, prev, c, gprev, g))
        prev, gprev = c, g
    return 1.0


@dataclass(frozen=True)
class MeanField:
    """Everything mean field says about one ``(activation, σ_w, σ_b)``."""

    activation: str
    sigma_w: float
    sigma_b: float
    q_star: float
    chi1: float
    c_star: float
    xi_q: float  # depth scale of the length's convergence to q*
    xi_c: float  # depth scale of the correlation's convergence to c* (inf at the edge)

    @property
    def phase(self) -> str:
        return "ordered" if self.chi1 < 1.0 else "chaotic" if self.chi1 > 1.0 else "critical"


def _depth_scale(rate: float) -> float:
    """``−1/log|rate|``: the number of layers over which a deviation shrinks by e (negative when
    it grows instead; ``inf`` at ``|rate| = 1``, ``0`` at ``rate = 0``)."""
    rate = abs(rate)
    if rate == 0.0:
        return 0.0
    return math.inf if abs(rate - 1.0) < 1e-9 else -1.0 / math.log(rate)


def analyse(activation: str, *, sigma_w: float, sigma_b: float = 0.0) -> MeanField:
    """q*, χ1, c* and the depth scales ``ξ_q``, ``ξ_c`` (Schoenholz et al. 2017, Eqs. 6 and 9).

    ``ξ_q = −1/log|F'(q*)|`` with ``F'(q*) = χ1 + σ_w² E[φ''φ]`` (``nan`` when ``q*`` is 0 or ∞:
    no finite fixed point to converge to); ``ξ_c = −1/log χ_c`` with
    ``χ_c = σ_w² E[φ'(u1)φ'(u2)]`` at ``c*`` (``= χ1`` when ``c* = 1``). A negative value means
    the deviation grows (``c = 1`` is unstable); ``inf`` is the edge of chaos.
    """
    sw, sb = check_sigmas(sigma_w, sigma_b)
    name = check_activation(activation)
    act = _act(name)
    q = q_star(name, sigma_w=sw, sigma_b=sb)
    qe = _q_eff(q)
    x1 = chi1(name, sigma_w=sw, sigma_b=sb, q=q)
    cs = c_star(name, sigma_w=sw, sigma_b=sb)
    chi_q = x1 + sw * sw * expect(name, "ddphi_phi", qe)
    chi_c = x1 if cs >= 1.0 else sw * sw * _pair_expect(act, qe, cs, act.dphi, act.dphi)
    if math.isinf(q):  # the homogeneous limit: c → 1 polynomially (see c_star)
        chi_c = 1.0
    xi_q = _depth_scale(chi_q) if 0.0 < q < math.inf else math.nan
    return MeanField(name, sw, sb, float(q), float(x1), float(cs), float(xi_q),
                     float(_depth_scale(chi_c)))
