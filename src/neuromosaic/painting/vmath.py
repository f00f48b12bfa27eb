"""Float32 activations that a compiler can vectorise on any CPU: tanh, sigmoid, sin, Gaussian.

A library ``tanhf`` is a scalar call, and NumPy vectorises its float32 ``tanh`` for AVX-512
only (2.8 ns an element on an AVX2 machine, 0.23 with AVX-512). These are straight-line float32
code — range reduction, a polynomial, a select between two branches computed both — with no
call, no table and no intrinsic, so LLVM turns a loop over them into SIMD code for whatever
the machine has (SSE, AVX2, AVX-512, NEON). The only non-arithmetic step, building ``2**n``
from its exponent bits, is an LLVM ``bitcast`` (:func:`_f32_from_bits`).

Accuracy against float64 (``tests/paint/test_kernel.py`` samples
10⁷ inputs over every exponent plus the edge values; ``benchmarks/vmath.py`` sweeps all 2³²
float32 values):

- :func:`tanh32`, :func:`sigmoid32`, :func:`sin32`, :func:`gauss32`: the range reduction in
  float32, the last steps in float64, one rounding: ≤ 1 ulp (tanh: correctly rounded but for
  about one input in 10⁶; NaN stays NaN, ±inf → ±1, −0 → −0). Sigmoid for x ≥ −87 (below, the true value is under
  1.7e-38: 0); sin for |x| ≤ ``SIN_LIMIT`` (the kernel falls back to the library sin past it);
  Gaussian ``exp(−x²)`` for x² < 87 (0 past it).
- ``--fast``: :func:`tanh32_fast`, a rational fit, ≤ 4.1e-7 absolute (≤ 7 ulp);
  :func:`sigmoid32_fast` all in float32, ≤ 2.5 ulp.

The float32 exp polynomial is Cephes' (S. L. Moshier, Cephes Math Library).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

F = np.float32
LOG2E = F(1.44269504088896341)
LN2_HI = F(0.693359375)  # ln 2 = LN2_HI + LN2_LO, LN2_HI with few bits so n·LN2_HI is exact
LN2_LO = F(-2.12194440e-4)
EXP_P = (F(1.9875691500e-4), F(1.3981999507e-3), F(8.3334519073e-3), F(4.1665795894e-2),
         F(1.6666665459e-1), F(5.0000001201e-1))
TANH_CLAMP = F(9.5)  # tanh(x) rounds to 1 in float32 for |x| > 9.01
SIG_CLAMP = F(87.0)
# π = PI_A + PI_B + PI_C + PI_D, the first parts with few bits so n·PI_A… are exact
PI_A, PI_B = F(3.140625), F(0.0009670257568359375)
PI_C, PI_D = F(6.2771141529083251953e-07), F(1.2154201256553420762e-10)
INV_PI = F(0.318309886183790671538)
#: |x| beyond which :func:`sin32` is not used (n·PI_A stays exact for n < 2¹²)
SIN_LIMIT = 4096.0
# tanh(x)/x ≈ P(x²)/Q(x²) on [0, 9]: fitted by iteratively reweighted least squares (Loeb's
# linearisation, Lawson's weights) for the least maximum relative error
TF_P = (F(1.0), F(0.13084016740322113), F(0.0031039640307426453), F(1.115439044951927e-05),
        F(-2.0225554564490267e-08), F(5.2781036485871624e-11), F(-8.489100400280516e-14))
TF_Q = (F(1.0), F(0.46417343616485596), F(0.024495210498571396), F(0.0002546156756579876))
TANH_FAST_CLAMP = F(9.0)
BIAS, MANTISSA = F(127.0), F(8388608.0)
TANH_TINY = F(2.0 ** -12)  # below, tanh(x) = x(1 − x²/3 …) rounds to x in float32
LN2 = 0.6931471805599453
E3, E4, E5, E6, E7, E8, E9 = (1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040, 1 / 40320, 1 / 362880)
PI64_HI, PI64_LO = 3.141592653589793, 1.2246467991473532e-16
S3, S5, S7, S9 = -1 / 6, 1 / 120, -1 / 5040, 1 / 362880
S11, S13, S15, S17 = -1 / 39916800, 1 / 6227020800, -1 / 1307674368000, 1 / 355687428096000
ONE, TWO, HALF, ZERO = F(1.0), F(2.0), F(0.5), F(0.0)
SIN_P = (F(1.0 / 6227020800.0), F(-1.0 / 39916800.0), F(1.0 / 362880.0), F(-1.0 / 5040.0),
         F(1.0 / 120.0), F(1.0 / 6.0))


@intrinsic
def _f32_from_bits(typingctx, bits):
    """The float32 whose IEEE bits are the int32 ``bits`` (an LLVM bitcast: free, vectorises)."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


@njit(cache=True, inline="always")
def exp32(x):
    """``e**x`` for float32 ``x`` in [−87, 88] (callers clamp): x = n·ln2 + r, |r| ≤ ln2/2,
    e**r by a degree-7 polynomial, times 2**n built from its exponent bits."""
    n = np.floor(x * LOG2E + HALF)
    r = x - n * LN2_HI
    r = r - n * LN2_LO
    z = r * r
    p = (((((EXP_P[0] * r + EXP_P[1]) * r + EXP_P[2]) * r + EXP_P[3]) * r + EXP_P[4]) * r
         + EXP_P[5]) * z + r + ONE
    # 2**n: the biased exponent n + 127 times 2**23 is the float's bit pattern; formed in float32
    # and converted once, so no 64-bit integer step (which AVX2 cannot vectorise) appears
    return p * _f32_from_bits(np.int32((n + BIAS) * MANTISSA))


@njit(cache=True, inline="always")
def exp64(y):
    """``e**y`` in float64 for float32 ``y`` in [−87, 0] (callers clamp): y = n·ln2 + r with
    |r| ≤ ln2/2, e**r by its Taylor series to r⁹ (relative error < 1e-11), times 2**n built
    in float32 (exact: a power of two) then widened, so no 64-bit integer step appears."""
    n = np.floor(y * LOG2E + HALF)
    r = np.float64(y) - np.float64(n) * LN2
    p = ((((((((E9 * r + E8) * r + E7) * r + E6) * r + E5) * r + E4) * r + E3) * r + 0.5) * r
         + 1.0) * r + 1.0
    return p * np.float64(_f32_from_bits(np.int32((n + BIAS) * MANTISSA)))


@njit(cache=True, inline="always")
def tanh32(x):
    """tanh, correctly rounded but for about 1 input in 10⁶: (1 − e)/(1 + e) with
    e = exp(−2|x|), all in float64 (where the cancellation in 1 − e costs nothing), one rounding
    to float32 at the end; below 2**−12, tanh(x) rounds to x itself."""
    a = min(abs(x), TANH_CLAMP)
    e = exp64(-TWO * a)
    t = np.float32((1.0 - e) / (1.0 + e))
    t = t if x >= ZERO else -t
    return x if abs(x) < TANH_TINY else t


@njit(cache=True, inline="always")
def sigmoid32(x):
    """1/(1 + e^−x) from e = exp(−|x|) in float64 (1/(1 + e), or e/(1 + e) below 0), rounded
    once: ≤ 1 ulp. NaN stays NaN; below −87, where the true value is under 1.7e-38, 0."""
    e = exp64(-min(abs(x), SIG_CLAMP))
    num = 1.0 if x >= ZERO else e
    s = np.float32(num / (1.0 + e))
    return ZERO if x < -SIG_CLAMP else s


@njit(cache=True, inline="always")
def sigmoid32_fast(x):
    """``--fast`` sigmoid: the same formula in float32 (≤ 2.5 ulp)."""
    e = exp32(-min(abs(x), SIG_CLAMP))
    d = ONE + e
    s = (ONE if x >= ZERO else e) / d
    return ZERO if x < -SIG_CLAMP else s


@njit(cache=True, inline="always")
def sin32(x):
    """sin for |x| ≤ SIN_LIMIT, in float64: x = n·π + r, |r| ≤ π/2, sin x = (−1)ⁿ sin r
    (Taylor to r¹⁷), rounded once."""
    n = np.floor(x * INV_PI + HALF)
    r = np.float64(x) - np.float64(n) * PI64_HI - np.float64(n) * PI64_LO
    z = r * r
    s = (((((((S17 * z + S15) * z + S13) * z + S11) * z + S9) * z + S7) * z + S5) * z + S3) * z * r + r
    odd = n - TWO * np.floor(n * HALF)  # 0 or 1
    return np.float32(s - 2.0 * np.float64(odd) * s)


@njit(cache=True, inline="always")
def gauss32(x):
    """exp(−x²) in float64 (x² exact there), rounded once; 0 once x² ≥ 87."""
    x2 = np.float64(x) * np.float64(x)
    e = exp64(np.float32(-min(x2, 87.0)))
    # x² rounded to float32 inside exp64: put back the part rounding dropped, e·(1 − lo)
    lo = x2 - np.float64(np.float32(min(x2, 87.0)))
    return ZERO if x2 >= 87.0 else np.float32(e - e * lo)


@njit(cache=True, inline="always")
def tanh32_fast(x):
    """``--fast`` tanh: x·P(x²)/Q(x²) on [−9, 9] (±1 past it), a rational fit of ours (degrees
    6 and 3 in x², relative error 6.6e-9 in exact arithmetic); half the cost of :func:`tanh32`,
    ≤ 7 ulp in float32 (the rounding of P/Q near ±1)."""
    v = min(max(x, -TANH_FAST_CLAMP), TANH_FAST_CLAMP)
    z = v * v
    p = (((((TF_P[6] * z + TF_P[5]) * z + TF_P[4]) * z + TF_P[3]) * z + TF_P[2]) * z
         + TF_P[1]) * z + TF_P[0]
    q = ((TF_Q[3] * z + TF_Q[2]) * z + TF_Q[1]) * z + TF_Q[0]
    return v * p / q


@njit(cache=True, nogil=True, error_model="numpy")
def apply_tanh(x, out):
    for i in range(x.shape[0]):
        out[i] = tanh32(x[i])


@njit(cache=True, nogil=True, error_model="numpy")
def apply_sigmoid(x, out):
    for i in range(x.shape[0]):
        out[i] = sigmoid32(x[i])


@njit(cache=True, nogil=True, error_model="numpy")
def apply_sin(x, out):
    for i in range(x.shape[0]):
        out[i] = sin32(x[i])


@njit(cache=True, nogil=True, error_model="numpy")
def apply_gauss(x, out):
    for i in range(x.shape[0]):
        out[i] = gauss32(x[i])


@njit(cache=True, nogil=True, error_model="numpy")
def apply_sigmoid_fast(x, out):
    for i in range(x.shape[0]):
        out[i] = sigmoid32_fast(x[i])


@njit(cache=True, nogil=True, error_model="numpy")
def apply_tanh_fast(x, out):
    for i in range(x.shape[0]):
        out[i] = tanh32_fast(x[i])


def ulps(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """``|got − ref|`` in float32 ulps at ``ref`` (the smaller spacing at a power of 2, the
    smallest subnormal at 0): how the tests and ``benchmarks/vmath.py`` measure these functions
    against a float64 reference."""
    r32 = np.abs(ref.astype(np.float32))
    below = np.spacing(np.nextafter(r32, np.float32(0))).astype(np.float64)
    step = np.maximum(np.minimum(np.spacing(r32).astype(np.float64), below),
                      np.finfo(np.float32).smallest_subnormal)
    return np.abs(got.astype(np.float64) - ref) / step


#: name → ``f(x, out)`` over float32 arrays (for tests and the benchmark)
APPLY = {"tanh": apply_tanh, "sigmoid": apply_sigmoid, "sin": apply_sin, "gaussian": apply_gauss,
         "tanh_fast": apply_tanh_fast, "sigmoid_fast": apply_sigmoid_fast}
