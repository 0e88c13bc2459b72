"""Tests for ember._printing: literal strings captured from torch 2.13, plus a parity sweep."""

from __future__ import annotations

import numpy as np
import pytest

from ember._printing import format_tensor, get_printoptions, set_printoptions

DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


@pytest.fixture(autouse=True)
def _reset_printoptions():
    set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")


def f32(values) -> np.ndarray:
    return np.array(values, dtype=np.float32)


# --------------------------------------------------------------------------------------
# Torch-free core: every expected string below was produced by torch 2.13 repr().
# --------------------------------------------------------------------------------------

SCALARS = [
    (f32(3.0), "tensor(3.)"),
    (f32(9.0), "tensor(9.)"),
    (f32(0.5), "tensor(0.5000)"),
    (f32(-0.0), "tensor(-0.)"),
    (f32(-3.5), "tensor(-3.5000)"),
    (f32(np.nan), "tensor(nan)"),
    (f32(np.inf), "tensor(inf)"),
    (f32(-np.inf), "tensor(-inf)"),
    (f32(1e-5), "tensor(1.0000e-05)"),
    (f32(1e9), "tensor(1.0000e+09)"),
    (np.array(3), "tensor(3)"),
    (np.array(-7), "tensor(-7)"),
    (np.array(True), "tensor(True)"),
    (np.array(False), "tensor(False)"),
]


@pytest.mark.parametrize(("data", "expected"), SCALARS)
def test_scalars(data, expected):
    assert format_tensor(data) == expected


VECTORS = [
    (f32([1.0, 2.0]), "tensor([1., 2.])"),
    (f32([1.5, 2.0]), "tensor([1.5000, 2.0000])"),
    (f32([-1.5, 2.0]), "tensor([-1.5000,  2.0000])"),
    (f32([1.0, -2.0]), "tensor([ 1., -2.])"),
    (f32([-0.0, 1.0]), "tensor([-0., 1.])"),
    (f32([0.0, 0.0]), "tensor([0., 0.])"),
    (f32([1.0, np.nan]), "tensor([1., nan])"),
    (f32([1.5, np.nan]), "tensor([1.5000,    nan])"),
    (f32([0.0, np.nan]), "tensor([0., nan])"),
    (f32([np.inf, -np.inf, np.nan]), "tensor([inf, -inf, nan])"),
    (f32([1e-5, 1e5]), "tensor([1.0000e-05, 1.0000e+05])"),
    (f32([1.0, 1e9]), "tensor([1.0000e+00, 1.0000e+09])"),
    (f32([1.0, 1000.0]), "tensor([   1., 1000.])"),
    (f32([1.0, 1001.0]), "tensor([1.0000e+00, 1.0010e+03])"),
    (f32([0.001, 0.9]), "tensor([0.0010, 0.9000])"),
    (f32([-1e-5, 1.0]), "tensor([-1.0000e-05,  1.0000e+00])"),
    (f32([1e-5, -np.inf]), "tensor([1.0000e-05,       -inf])"),
    (np.array([-1, 20, 3]), "tensor([-1, 20,  3])"),
    (np.array([True, False]), "tensor([ True, False])"),
    (np.array([1.0 + 2.0j, 3.0 - 4.0j], dtype=np.complex64), "tensor([1.+2.j, 3.-4.j])"),
    (np.array(1.0 + 2.0j, dtype=np.complex64), "tensor(1.+2.j)"),
    (
        np.array([1.5 + 2.0j, complex(-0.0, 0.0)], dtype=np.complex64),
        "tensor([1.5000+2.j, -0.0000+0.j])",
    ),
]


@pytest.mark.parametrize(("data", "expected"), VECTORS)
def test_vectors(data, expected):
    assert format_tensor(data) == expected


def test_dtype_suffix_and_tail():
    data = np.zeros(3)
    assert format_tensor(data, "dtype=ember.float64", ["requires_grad=True"]) == (
        "tensor([0., 0., 0.], dtype=ember.float64, requires_grad=True)"
    )
    assert format_tensor(f32([[2, 2, 2], [2, 2, 2]]), tail=["grad_fn=<MulBackward0>"]) == (
        "tensor([[2., 2., 2.],\n        [2., 2., 2.]], grad_fn=<MulBackward0>)"
    )
    assert format_tensor(np.array([1.0 + 2.0j]), "dtype=ember.complex128") == (
        "tensor([1.+2.j], dtype=ember.complex128)"
    )


def test_suffix_wraps_to_new_line():
    data = np.arange(100.0).reshape(10, 10)
    rows = "\n".join(
        ("tensor([[" if r == 0 else "        [")
        + ", ".join(f"{v:2d}." for v in range(10 * r, 10 * r + 10))
        + ("]]" if r == 9 else "],")
        for r in range(10)
    )
    expected = rows + ",\n       dtype=ember.float64, requires_grad=True)"
    assert format_tensor(data, "dtype=ember.float64", ["requires_grad=True"]) == expected


def test_empty():
    assert format_tensor(np.zeros(0, np.float32)) == "tensor([])"
    assert format_tensor(np.zeros((0, 3), np.float32)) == "tensor([], size=(0, 3))"
    assert (
        format_tensor(np.zeros(0, np.int64), "dtype=ember.int64") == "tensor([], dtype=ember.int64)"
    )
    assert format_tensor(np.zeros((2, 0)), "dtype=ember.float64") == (
        "tensor([], size=(2, 0), dtype=ember.float64)"
    )


def test_three_d_blocks():
    expected = (
        "tensor([[[ 0.,  1.,  2.],\n"
        "         [ 3.,  4.,  5.]],\n"
        "\n"
        "        [[ 6.,  7.,  8.],\n"
        "         [ 9., 10., 11.]]])"
    )
    assert format_tensor(np.arange(12, dtype=np.float32).reshape(2, 2, 3)) == expected


def test_long_row_wraps():
    expected = (
        "tensor([ 0.0000,  1.1000,  2.2000,  3.3000,  4.4000,  5.5000,  6.6000,  7.7000,\n"
        "         8.8000,  9.9000, 11.0000, 12.1000, 13.2000, 14.3000, 15.4000, 16.5000,\n"
        "        17.6000, 18.7000, 19.8000, 20.9000, 22.0000, 23.1000, 24.2000, 25.3000,\n"
        "        26.4000, 27.5000, 28.6000, 29.7000, 30.8000, 31.9000])"
    )
    assert format_tensor(np.arange(30, dtype=np.float32) * np.float32(1.1)) == expected


def test_summarized_vector_and_matrix():
    assert format_tensor(np.arange(2000, dtype=np.float32)) == (
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
        "        1.9990e+03])"
    )
    assert format_tensor(np.arange(1001)) == "tensor([   0,    1,    2,  ...,  998,  999, 1000])"
    lines = format_tensor(np.arange(2000, dtype=np.float32).reshape(40, 50)).split("\n")
    assert lines[0] == "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,"
    assert lines[1] == "         4.9000e+01],"
    assert lines[6] == "        ...,"
    assert lines[-1] == "         1.9990e+03]])"
    assert len(lines) == 13


def test_summarized_3d():
    expected = (
        "tensor([[[   0,    1,    2,  ...,    7,    8,    9],\n"
        "         [  10,   11,   12,  ...,   17,   18,   19],\n"
        "         [  20,   21,   22,  ...,   27,   28,   29],\n"
        "         ...,\n"
        "         [  70,   71,   72,  ...,   77,   78,   79],\n"
        "         [  80,   81,   82,  ...,   87,   88,   89],\n"
        "         [  90,   91,   92,  ...,   97,   98,   99]],\n"
        "\n"
        "        [[ 100,  101,  102,  ...,  107,  108,  109],\n"
        "         [ 110,  111,  112,  ...,  117,  118,  119],\n"
        "         [ 120,  121,  122,  ...,  127,  128,  129],\n"
        "         ...,\n"
        "         [ 170,  171,  172,  ...,  177,  178,  179],\n"
        "         [ 180,  181,  182,  ...,  187,  188,  189],\n"
        "         [ 190,  191,  192,  ...,  197,  198,  199]],\n"
        "\n"
        "        [[ 200,  201,  202,  ...,  207,  208,  209],\n"
        "         [ 210,  211,  212,  ...,  217,  218,  219],\n"
        "         [ 220,  221,  222,  ...,  227,  228,  229],\n"
        "         ...,\n"
        "         [ 270,  271,  272,  ...,  277,  278,  279],\n"
        "         [ 280,  281,  282,  ...,  287,  288,  289],\n"
        "         [ 290,  291,  292,  ...,  297,  298,  299]],\n"
        "\n"
        "        ...,\n"
        "\n"
        "        [[ 800,  801,  802,  ...,  807,  808,  809],\n"
        "         [ 810,  811,  812,  ...,  817,  818,  819],\n"
        "         [ 820,  821,  822,  ...,  827,  828,  829],\n"
        "         ...,\n"
        "         [ 870,  871,  872,  ...,  877,  878,  879],\n"
        "         [ 880,  881,  882,  ...,  887,  888,  889],\n"
        "         [ 890,  891,  892,  ...,  897,  898,  899]],\n"
        "\n"
        "        [[ 900,  901,  902,  ...,  907,  908,  909],\n"
        "         [ 910,  911,  912,  ...,  917,  918,  919],\n"
        "         [ 920,  921,  922,  ...,  927,  928,  929],\n"
        "         ...,\n"
        "         [ 970,  971,  972,  ...,  977,  978,  979],\n"
        "         [ 980,  981,  982,  ...,  987,  988,  989],\n"
        "         [ 990,  991,  992,  ...,  997,  998,  999]],\n"
        "\n"
        "        [[1000, 1001, 1002,  ..., 1007, 1008, 1009],\n"
        "         [1010, 1011, 1012,  ..., 1017, 1018, 1019],\n"
        "         [1020, 1021, 1022,  ..., 1027, 1028, 1029],\n"
        "         ...,\n"
        "         [1070, 1071, 1072,  ..., 1077, 1078, 1079],\n"
        "         [1080, 1081, 1082,  ..., 1087, 1088, 1089],\n"
        "         [1090, 1091, 1092,  ..., 1097, 1098, 1099]]])"
    )
    assert format_tensor(np.arange(1100).reshape(11, 10, 10)) == expected


def test_summary_width_uses_shown_elements_only():
    # The hidden middle element 1e6 would force scientific notation if it were counted.
    data = np.ones(1001, dtype=np.float32)
    data[500] = 1e6
    assert format_tensor(data) == "tensor([1., 1., 1.,  ..., 1., 1., 1.])"


def test_float16_and_float64():
    assert format_tensor(np.array([0.1, 2.5], np.float16), "dtype=ember.float16") == (
        "tensor([0.1000, 2.5000], dtype=ember.float16)"
    )
    assert format_tensor(np.array([1e300, -1e-300]), "dtype=ember.float64") == (
        "tensor([ 1.0000e+300, -1.0000e-300], dtype=ember.float64)"
    )
    assert (
        format_tensor(np.array([0.1]), "dtype=ember.float64")
        == "tensor([0.1000], dtype=ember.float64)"
    )


def test_prefix_indents_continuation_lines():
    assert format_tensor(np.arange(30.0, dtype=np.float32).reshape(3, 10)[:2], prefix="Box(") == (
        "Box([[ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9.],\n"
        "     [10., 11., 12., 13., 14., 15., 16., 17., 18., 19.]])"
    )


def test_sci_mode_forced():
    set_printoptions(sci_mode=True)
    assert format_tensor(f32([1.0, 2.0])) == "tensor([1.0000e+00, 2.0000e+00])"
    assert format_tensor(f32([1.0, np.nan])) == "tensor([1.0000e+00,        nan])"
    assert format_tensor(f32([0.0, np.nan])) == "tensor([0., nan])"  # no nonzero finite value
    assert format_tensor(f32(-3.5)) == "tensor(-3.5000e+00)"
    set_printoptions(sci_mode=False)
    assert format_tensor(f32([1e-5, 1e5])) == "tensor([     0.0000, 100000.0000])"
    assert format_tensor(f32([1.0, 1e9])) == "tensor([         1., 1000000000.])"
    assert format_tensor(f32([1e-5, -np.inf])) == "tensor([0.0000,   -inf])"


def test_precision_linewidth_edgeitems():
    set_printoptions(precision=2)
    assert format_tensor(f32([1.0 / 3, 2.0])) == "tensor([0.33, 2.00])"
    set_printoptions(precision=4, linewidth=30)
    assert format_tensor(np.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6,\n        7, 8, 9])"
    set_printoptions(linewidth=80, threshold=5, edgeitems=1)
    assert format_tensor(np.arange(10)) == "tensor([0,  ..., 9])"
    set_printoptions(threshold=5, edgeitems=0)
    assert format_tensor(np.arange(10)) == "tensor([...], size=(10,))"
    assert format_tensor(np.arange(12).reshape(3, 4)) == "tensor([...], size=(3, 4))"
    set_printoptions(threshold=1000, edgeitems=0)
    assert format_tensor(np.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], size=(10,))"
    assert format_tensor(f32(3.0)) == "tensor(3., size=())"
    set_printoptions(threshold=0, edgeitems=1)
    assert format_tensor(f32([0, 1, 2])) == "tensor([0.,  ..., 2.])"
    assert format_tensor(np.ones((3, 3, 3), np.float32)) == (
        "tensor([[[1.,  ..., 1.],\n"
        "         ...,\n"
        "         [1.,  ..., 1.]],\n"
        "\n"
        "        ...,\n"
        "\n"
        "        [[1.,  ..., 1.],\n"
        "         ...,\n"
        "         [1.,  ..., 1.]]])"
    )


def test_profiles():
    set_printoptions(profile="short")
    assert format_tensor(f32([1.0 / 3, 2.0])) == "tensor([0.33, 2.00])"
    assert format_tensor(np.arange(1001)) == "tensor([   0,    1,  ...,  999, 1000])"
    set_printoptions(profile="full")
    assert format_tensor(np.arange(1001)).count("...") == 0
    set_printoptions(profile="default")
    assert format_tensor(np.arange(1001)) == "tensor([   0,    1,    2,  ...,  998,  999, 1000])"


def test_printoptions_round_trip():
    assert get_printoptions() == DEFAULTS
    set_printoptions(precision=6, threshold=50, edgeitems=2, linewidth=120, sci_mode=True)
    opts = get_printoptions()
    assert opts == {
        "precision": 6,
        "threshold": 50,
        "edgeitems": 2,
        "linewidth": 120,
        "sci_mode": True,
    }
    set_printoptions(profile="default")
    assert get_printoptions() == DEFAULTS
    set_printoptions(**opts)
    assert get_printoptions() == opts
    # Omitting sci_mode resets it to automatic, as in torch; other options persist.
    set_printoptions(precision=3)
    assert get_printoptions() == {**opts, "precision": 3, "sci_mode": None}
    set_printoptions(profile="full")
    assert get_printoptions()["threshold"] == float("inf")
    set_printoptions(profile="short", precision=5)
    assert get_printoptions() == {**DEFAULTS, "precision": 5, "edgeitems": 2}
    set_printoptions(profile="no-such-profile")  # ignored, like torch
    assert get_printoptions() == {**DEFAULTS, "precision": 5, "edgeitems": 2}


# --------------------------------------------------------------------------------------
# Parity with torch on generated arrays.
# --------------------------------------------------------------------------------------

DTYPES = [
    np.dtype(name)
    for name in (
        "float32 float64 float16 int64 int32 int16 int8 uint8 bool complex64 complex128".split()
    )
]
# fmt: off
SHAPES = [(), (1,), (5,), (17,), (60,), (0,), (0, 3), (2, 0), (0, 0, 2), (3, 4), (7, 13), (1, 1),
          (2, 3, 4), (4, 1, 6), (2, 2, 2, 3), (1001,), (40, 50), (11, 10, 10), (3, 4, 5, 20),
          (2, 600), (600, 2), (7, 7, 7, 7)]
# Values sitting on the thresholds where torch switches style (float32 rounds 1e-4 below it).
BOUNDARY = [1e-4, 1.0001e-4, 1e-3, 0.1, 1.0, 1.5, 999.0, 1000.0, 1000.5, 1001.0, 1e8, 1e8 + 1,
            99999999.5, 65504.0, 6e-8, 5e-324, 1.7e308, 0.0, 123456.789]
SCALES = [1e-30, 1e-8, 1e-4, 1e-3, 0.1, 1.0, 10.0, 999.0, 1e4, 1e8, 1e9, 1e20, 1e200]
# fmt: on


def _suffix_for(arr: np.ndarray) -> str | None:
    name = np.dtype(arr.dtype).name
    if arr.size == 0:
        return None if name == "float32" else f"dtype=ember.{name}"
    if name in ("float32", "complex64", "int64", "bool"):
        return None
    return f"dtype=ember.{name}"


def _random_floats(rng: np.random.Generator, shape: tuple, dtype) -> np.ndarray:
    kind = rng.integers(7)
    scale = SCALES[rng.integers(len(SCALES))]
    if kind == 6:
        arr = rng.choice(BOUNDARY, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    elif kind == 0:  # whole numbers
        arr = np.round(rng.standard_normal(shape) * scale)
    elif kind == 1:  # all zeros, some negative
        arr = np.zeros(shape) * rng.choice([-1.0, 1.0], size=shape)
    elif kind == 2:  # wide dynamic range
        arr = rng.standard_normal(shape) * 10.0 ** rng.uniform(-10, 10, size=shape)
    else:
        arr = rng.standard_normal(shape) * scale
    arr = np.asarray(arr, dtype=np.float64)
    if arr.size and rng.random() < 0.4:  # sprinkle special values
        specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0])
        mask = rng.random(arr.shape) < 0.15
        arr[mask] = rng.choice(specials, size=int(mask.sum()))
    with np.errstate(over="ignore"):
        return arr.astype(dtype)


def _random_array(rng: np.random.Generator) -> np.ndarray:
    shape = SHAPES[rng.integers(len(SHAPES))]
    dtype = DTYPES[rng.integers(len(DTYPES))]
    kind = np.dtype(dtype).kind
    if kind == "b":
        return rng.random(shape) < 0.5
    if kind in "iu":
        info = np.iinfo(dtype)
        hi = [10, 1000, int(info.max)][rng.integers(3)]
        lo = 0 if kind == "u" else -hi
        return rng.integers(lo, min(hi, int(info.max)), size=shape, endpoint=True).astype(dtype)
    if kind == "c":
        real_dtype = np.float32 if dtype == np.complex64 else np.float64
        real = _random_floats(rng, shape, real_dtype)
        out = np.empty(shape, dtype=dtype)
        # Assigning the parts separately keeps nan/inf components exactly as drawn.
        out.real = real
        out.imag = _random_floats(rng, shape, real_dtype)
        return out
    return _random_floats(rng, shape, dtype)


def _random_options(rng: np.random.Generator) -> dict:
    if rng.random() < 0.6:
        return {}
    options = {"sci_mode": [None, True, False][rng.integers(3)]}
    if rng.random() < 0.3:
        options["profile"] = ["default", "short", "full"][rng.integers(3)]
    if rng.random() < 0.4:
        options["precision"] = int(rng.integers(0, 9))
    if rng.random() < 0.4:
        options["linewidth"] = int(rng.integers(10, 200))
    if rng.random() < 0.3:
        options["edgeitems"] = int(rng.integers(0, 6))
    if rng.random() < 0.3:
        options["threshold"] = int(rng.integers(1, 200))
    return options


def test_parity_with_torch():
    torch = pytest.importorskip("torch")

    class Box(torch.Tensor):
        pass

    rng = np.random.default_rng(20240611)
    failures = []
    try:
        for case in range(600):
            arr = np.ascontiguousarray(_random_array(rng))
            options = _random_options(rng)
            torch.set_printoptions(**options)
            set_printoptions(**options)

            tensor = torch.from_numpy(arr.copy())
            tail: list[str] = []
            prefix = "tensor("
            floating = arr.dtype.kind in "fc"
            variant = rng.integers(4)
            if variant == 1 and floating:
                tensor.requires_grad_()
                tail = ["requires_grad=True"]
            elif variant == 2 and floating:
                tensor = tensor.requires_grad_() * 1
                tail = ["grad_fn=<MulBackward0>"]
            elif variant == 3:
                tensor = tensor.as_subclass(Box)
                prefix = "Box("

            expected = repr(tensor).replace("torch.", "ember.")
            # Format what torch holds (x * 1 can turn complex infinities into nan).
            arr = torch.Tensor.numpy(tensor.detach())
            got = format_tensor(arr, _suffix_for(arr), tail, prefix)
            if got != expected:
                failures.append((case, arr.dtype, arr.shape, options, expected, got))
    finally:
        torch.set_printoptions(profile="default")
    assert not failures, f"{len(failures)} mismatches; first ones:\n\n" + "\n\n".join(
        f"case {c} dtype={d} shape={s} opts={o}\ntorch:\n{e}\nember:\n{g}"
        for c, d, s, o, e, g in failures[:5]
    )
