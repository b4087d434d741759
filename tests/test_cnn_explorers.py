"""Notebook 07's explorers, photos, shifts, plots and models, without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlhelpers.data.images import PHOTOS, load_photo  # noqa: E402
from dlhelpers.data.transforms import random_shifts, shift_images  # noqa: E402
from dlhelpers.explorers.conv_geometry import (  # noqa: E402
    build_conv_geometry_explorer,
    output_size_formula,
    taps,
)
from dlhelpers.explorers.filters import KERNELS, build_filter_explorer, feature_map  # noqa: E402
from dlhelpers.scratch import conv2d  # noqa: E402
from dlhelpers.viz import plot_feature_maps, plot_filters  # noqa: E402

IMAGE = np.linspace(0, 1, 20 * 24).reshape(20, 24) ** 2


def test_feature_map_is_conv2d_with_padding_one():
    k = np.arange(9.0).reshape(3, 3)
    want = conv2d(IMAGE[None, None], k[None, None], padding=1)[0, 0]
    np.testing.assert_allclose(feature_map(IMAGE, k), want)
    assert feature_map(IMAGE, "identity").shape == IMAGE.shape
    np.testing.assert_allclose(feature_map(IMAGE, "identity"), IMAGE)


def test_typing_an_entry_redraws_and_marks_the_kernel_custom():
    ex = build_filter_explorer({"a": IMAGE, "b": IMAGE.T.copy()}, kernel="sobel x")
    assert ex.controls["preset"].value == "sobel x"
    before, maps, redraws = ex.image.value, ex.view.output.get_array().copy(), ex.redraws
    ex.controls["k11"].value = 4.0
    assert ex.redraws == redraws + 1
    assert ex.image.value != before
    assert not np.array_equal(ex.view.output.get_array(), maps)
    assert ex.controls["preset"].value == "custom"
    assert "sum to 4" in ex.status.value


def test_a_preset_fills_the_nine_boxes_with_one_redraw():
    ex = build_filter_explorer(IMAGE, kernel=np.zeros((3, 3)))
    assert ex.controls["preset"].value == "custom" and "image" not in ex.controls
    redraws = ex.redraws
    ex.controls["preset"].value = "edge"
    assert ex.redraws == redraws + 1
    got = np.array([ex.controls[f"k{i}{j}"].value for i in range(3) for j in range(3)])
    np.testing.assert_array_equal(got.reshape(3, 3), KERNELS["edge"])
    assert ex.controls["preset"].value == "edge"
    np.testing.assert_allclose(ex.view.output.get_array(), feature_map(IMAGE, KERNELS["edge"]))


def test_switching_images():
    ex = build_filter_explorer({"a": IMAGE, "b": 1 - IMAGE}, image="b")
    np.testing.assert_allclose(ex.view.input.get_array(), 1 - IMAGE)
    ex.controls["image"].value = "a"
    np.testing.assert_allclose(ex.view.input.get_array(), IMAGE)


def test_a_nan_typed_into_a_box_keeps_the_last_good_kernel():
    ex = build_filter_explorer(IMAGE)
    ex.controls["k00"].value = -1.0  # an ordinary change first
    redraws = ex.redraws
    ex.controls["k00"].value = float("nan")
    assert ex.controls["k00"].value == -1.0 and ex.redraws == redraws
    assert "not a number" in ex.status.value


@pytest.mark.parametrize(
    "images, kernel, match",
    [
        ({}, "blur", "empty"),
        (np.zeros(5), "blur", "shape"),
        (np.zeros((2, 2)), "blur", "at least 3x3"),
        (np.full((5, 5), np.nan), "blur", "finite"),
        (IMAGE, np.zeros((2, 2)), "3x3"),
        (IMAGE, [[np.inf] * 3] * 3, "finite"),
        (IMAGE, "gaussian", "kernel"),
    ],
)
def test_filter_explorer_refuses_bad_input(images, kernel, match):
    with pytest.raises(ValueError, match=match):
        build_filter_explorer(images, kernel)


def test_unknown_start_image_is_refused():
    with pytest.raises(ValueError, match="image"):
        build_filter_explorer({"a": IMAGE}, image="b")


def test_taps_and_formula():
    np.testing.assert_array_equal(
        taps(1, 2, 2, stride=2, dilation=3), [[2, 4], [2, 7], [5, 4], [5, 7]]
    )
    assert output_size_formula(14, 3, 2, 1, 1).endswith("= 7")
    assert "2·1" in output_size_formula(14, 3, 2, 1, 1)


def test_geometry_sliders_redraw_and_limit_the_output_pixel():
    ex = build_conv_geometry_explorer(IMAGE[:14, :14], KERNELS["sobel x"])
    assert ex.controls["row"].max == 11  # 14 - 3 + 1 = 12 rows
    before = ex.image.value
    ex.controls["row"].value = 11
    ex.controls["stride"].value = 2
    assert ex.controls["row"].max == 5 and ex.controls["row"].value == 5
    assert ex.image.value != before
    assert "= 6" in ex.status.value and "(5, 0)" in ex.status.value
    ex.controls["padding"].value = 3
    ex.controls["dilation"].value = 3
    assert ex.view.output.get_array().shape == (7, 7)  # (14 + 6 - 6 - 1) // 2 + 1


def test_geometry_without_a_kernel_has_a_kernel_size_slider_and_says_when_nothing_fits():
    ex = build_conv_geometry_explorer(np.ones((5, 5)))
    ex.controls["kernel_size"].value = 5
    ex.controls["dilation"].value = 3
    assert "no output" in ex.status.value and "13 pixels" in ex.status.value
    ex.controls["dilation"].value = 1
    assert "= 1" in ex.status.value


@pytest.mark.parametrize(
    "image, kernel, match",
    [
        (np.ones(4), None, "shape"),
        (np.full((4, 4), np.nan), None, "finite"),
        (np.ones((6, 6)), np.ones((2, 3)), "square"),
        (np.ones((6, 6)), np.full((3, 3), np.nan), "finite"),
    ],
)
def test_geometry_refuses_bad_input(image, kernel, match):
    with pytest.raises(ValueError, match=match):
        build_conv_geometry_explorer(image, kernel)


@pytest.mark.parametrize("name", sorted(PHOTOS))
def test_photos_load_offline_as_grey_levels(name):
    full = load_photo(name)
    small = load_photo(name, size=64)
    assert full.ndim == 2 and full.dtype == np.float64
    assert 0 <= full.min() and full.max() <= 1
    assert 64 <= min(small.shape) < 128
    assert abs(small.mean() - full.mean()) < 0.02


@pytest.mark.parametrize(
    "size, match", [(0, "size=0 must be at least 1"), (2.5, "not a whole number"), (True, "bool")]
)
def test_photo_arguments_are_checked(size, match):
    with pytest.raises(ValueError, match=match):
        load_photo("camera", size=size)
    with pytest.raises(ValueError, match="name='lena' is not one of the choices: camera"):
        load_photo("lena")


def test_shift_images_moves_and_fills_with_zeros():
    x = np.arange(1, 13).reshape(1, 1, 3, 4)
    right = shift_images(x, dx=1)
    np.testing.assert_array_equal(right[0, 0], [[0, 1, 2, 3], [0, 5, 6, 7], [0, 9, 10, 11]])
    np.testing.assert_array_equal(
        shift_images(x, dx=-1, dy=-2)[0, 0], [[10, 11, 12, 0], [0] * 4, [0] * 4]
    )
    np.testing.assert_array_equal(shift_images(x), x)
    assert shift_images(x.astype(np.float32), dy=1).dtype == np.float32
    for bad, match in [
        ({"dx": 4}, "out of the frame"),
        ({"dy": 1.5}, "whole"),
        ({"dx": True}, "whole"),
    ]:
        with pytest.raises(ValueError, match=match):
            shift_images(x, **bad)
    with pytest.raises(ValueError, match="shape"):
        shift_images(np.ones(3), dx=1)


def test_random_shifts_move_each_image_by_its_own_shift():
    x = np.random.default_rng(0).random((60, 1, 6, 7)).astype(np.float32)
    moved = random_shifts(x, 2, seed=1)
    assert moved.shape == x.shape and moved.dtype == np.float32
    found = []
    for image, out in zip(x, moved, strict=True):
        shifts = [
            (dx, dy)
            for dx in range(-2, 3)
            for dy in range(-2, 3)
            if np.array_equal(out, shift_images(image, dx, dy))
        ]
        assert shifts, "each image is one shift of its original"
        found.append(shifts[0])
    assert len(set(found)) > 10  # not one shift for all
    np.testing.assert_array_equal(random_shifts(x, 2, seed=1), moved)  # seeded
    np.testing.assert_array_equal(random_shifts(x, 0), x)
    assert random_shifts(x[:, 0], 1).shape == (60, 6, 7)  # (N, H, W) works too
    for bad, match in [
        (dict(max_shift=6), "max_shift=6"),
        (dict(max_shift=-1), "max_shift=-1"),
        (dict(max_shift=1.5), "whole"),
        (dict(max_shift=1, seed="a"), "seed="),
    ]:
        with pytest.raises(ValueError, match=match):
            random_shifts(x, **bad)
    with pytest.raises(ValueError, match=r"\(N, \.\.\., H, W\)"):
        random_shifts(np.ones((3, 3)), 1)


def test_plot_filters_and_feature_maps_draw_one_panel_each():
    fig = plt.figure()
    artists = plot_filters(np.ones((6, 2, 5, 5)), ax=fig.subplots(2, 3), title="t")
    assert len(artists) == 6 and artists[0].get_array().shape == (5, 5)
    assert len(plot_feature_maps(np.ones((1, 3, 7, 7)))) == 3
    with pytest.raises(ValueError, match="out, in, kH, kW"):
        plot_filters(np.ones((3, 5, 5)))
    with pytest.raises(ValueError, match="channels, H, W"):
        plot_feature_maps(np.ones((7, 7)))
    with pytest.raises(ValueError, match="ncols"):
        plot_filters(np.ones((2, 1, 3, 3)), ncols=0)
    plt.close("all")


def test_course_models_have_the_parameters_the_notebooks_state():
    torch = pytest.importorskip("torch")
    from dlhelpers.train import lenet, primer_mlp

    mlp, cnn = primer_mlp(), lenet()
    assert sum(p.numel() for p in mlp.parameters()) == 52_650
    assert sum(p.numel() for p in cnn.parameters()) == 61_706
    x = torch.zeros(2, 1, 28, 28)
    assert mlp(x).shape == cnn(x).shape == (2, 10)
