"""Baseline comparison, on synthetic images (no browser): what must pass, what must fail."""
from __future__ import annotations

import io

import numpy as np
import pytest

from gradviz.testing import (DEFAULT_MAX_FRACTION, DEFAULT_TOLERANCE, assert_matches_baseline,
                             compare_images, failure_paths, load_image)

PIL = pytest.importorskip("PIL.Image", reason='Pillow is not installed: pip install "gradviz[test]"')


def graph_picture(node_colour=(31, 119, 180)) -> np.ndarray:
    """A 400x300 'graph': white background, grey edges, three 20x20 nodes."""
    img = np.full((300, 400, 3), 255, np.uint8)
    img[148:152, 40:360] = (120, 120, 120)
    for x in (40, 190, 340):
        img[140:160, x:x + 20] = (31, 119, 180)
    img[140:160, 190:210] = node_colour
    return img


def png_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    PIL.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def antialiasing_noise(img: np.ndarray, pixels=60, delta=12, seed=0) -> np.ndarray:
    """Small channel wobble on a few edge pixels, as different rasterisers produce."""
    rng = np.random.default_rng(seed)
    out = img.astype(np.int16)
    ys = rng.integers(138, 162, pixels)
    xs = rng.integers(0, 400, pixels)
    out[ys, xs] += rng.integers(-delta, delta + 1, (pixels, 3))
    return np.clip(out, 0, 255).astype(np.uint8)


def test_defaults_are_the_documented_ones():
    assert DEFAULT_TOLERANCE == 16
    assert DEFAULT_MAX_FRACTION == 0.001


def test_identical_images_match_from_any_input_form(tmp_path):
    img = graph_picture()
    path = tmp_path / "a.png"
    path.write_bytes(png_bytes(img))
    for other in (img, png_bytes(img), path, str(path), PIL.fromarray(img)):
        result = compare_images(other, img)
        assert result.matches and bool(result)
        assert result.differing == 0 and result.max_delta == 0


def test_antialiasing_noise_passes():
    img = graph_picture()
    noisy = antialiasing_noise(img)
    assert not np.array_equal(noisy, img)
    result = compare_images(noisy, img)
    assert result.matches, result.summary()
    assert 0 < result.max_delta <= 12


def test_a_few_strongly_differing_pixels_within_the_fraction_pass():
    # Font rendering can flip a handful of pixels completely; 0.1 % of 120000 is 120.
    img = graph_picture()
    other = img.copy()
    other[0, :100] = 0
    assert compare_images(other, img).matches
    other[1, :100] = 0  # 200 pixels: over the limit
    assert not compare_images(other, img).matches


def test_recoloured_node_fails():
    result = compare_images(graph_picture(node_colour=(214, 39, 40)), graph_picture())
    assert not result.matches
    assert result.differing == 20 * 20
    assert result.mask[150, 200] and not result.mask[10, 10]
    assert "400 of 120000 pixels differ" in result.summary()


def test_thresholds_are_adjustable():
    img = graph_picture()
    recoloured = graph_picture(node_colour=(214, 39, 40))
    assert compare_images(recoloured, img, max_fraction=0.01).matches
    assert compare_images(recoloured, img, tolerance=255).matches
    noisy = antialiasing_noise(img, delta=12)
    assert not compare_images(noisy, img, tolerance=0, max_fraction=0).matches
    with pytest.raises(ValueError):
        compare_images(img, img, tolerance=300)
    with pytest.raises(ValueError):
        compare_images(img, img, max_fraction=2)


def test_size_mismatch_fails_clearly(tmp_path):
    img = graph_picture()
    result = compare_images(img[:, :399], img)
    assert not result.matches and result.size_mismatch
    assert "size differs" in result.summary() and "399x300" in result.summary()
    baseline = tmp_path / "view.png"
    baseline.write_bytes(png_bytes(img))
    with pytest.raises(AssertionError, match="size differs"):
        assert_matches_baseline(png_bytes(img[:, :399]), baseline)
    actual, diff = failure_paths(baseline)
    assert actual.exists() and diff.exists()
    assert load_image(diff).shape == (300, 400, 4)


def test_failure_writes_actual_and_diff_next_to_baseline(tmp_path):
    baseline = tmp_path / "baselines" / "graph.png"
    baseline.parent.mkdir()
    baseline.write_bytes(png_bytes(graph_picture()))
    changed = png_bytes(graph_picture(node_colour=(214, 39, 40)))
    with pytest.raises(AssertionError) as info:
        assert_matches_baseline(changed, baseline)
    actual, diff = tmp_path / "baselines" / "graph.actual.png", tmp_path / "baselines" / "graph.diff.png"
    message = str(info.value)
    assert str(actual) in message and str(diff) in message
    assert "400 of 120000 pixels differ" in message and "--update-baselines" in message
    assert actual.read_bytes() == changed
    diff_img = load_image(diff)
    assert tuple(diff_img[150, 200]) == (255, 0, 0, 255)       # the changed node, in red
    assert tuple(diff_img[10, 10][:3]) != (255, 0, 0)          # elsewhere: a faded copy
    assert diff_img[150, 50][0] == diff_img[150, 50][1] > 150  # grey, and light
    # The baseline itself is never touched by a failed comparison.
    assert compare_images(baseline, graph_picture()).matches


def test_passing_comparison_removes_stale_failure_files(tmp_path):
    baseline = tmp_path / "graph.png"
    baseline.write_bytes(png_bytes(graph_picture()))
    with pytest.raises(AssertionError):
        assert_matches_baseline(graph_picture(node_colour=(0, 0, 0)), baseline)
    actual, diff = failure_paths(baseline)
    assert actual.exists() and diff.exists()
    assert assert_matches_baseline(graph_picture(), baseline).matches
    assert not actual.exists() and not diff.exists()


def test_missing_baseline_fails_with_instructions_and_keeps_the_image(tmp_path):
    baseline = tmp_path / "new.png"
    with pytest.raises(AssertionError, match="does not exist.*--update-baselines"):
        assert_matches_baseline(png_bytes(graph_picture()), baseline)
    assert not baseline.exists()
    assert compare_images(tmp_path / "new.actual.png", graph_picture()).matches


def test_update_writes_the_baseline(tmp_path):
    baseline = tmp_path / "sub" / "new.png"
    assert assert_matches_baseline(png_bytes(graph_picture()), baseline, update=True) is None
    assert compare_images(baseline, graph_picture()).matches
    assert assert_matches_baseline(graph_picture(), baseline).matches


# --- the environment recorded beside a baseline -----------------------------------------------
ENV_A = {"browser": "Chromium 156.0.1", "fonts": "gradviz bundled fonts abc", "gradviz": "0.1.0"}


def test_update_records_the_environment_beside_the_baseline(tmp_path):
    from gradviz.testing import environment_path, read_environment

    baseline = tmp_path / "view.png"
    assert_matches_baseline(png_bytes(graph_picture()), baseline, update=True,
                            environment=ENV_A)
    assert environment_path(baseline) == tmp_path / "view.env.json"
    assert read_environment(baseline) == ENV_A
    # Without an environment nothing is recorded (and nothing stale is claimed).
    other = tmp_path / "other.png"
    assert_matches_baseline(png_bytes(graph_picture()), other, update=True)
    assert read_environment(other) is None


def test_a_mismatch_in_another_environment_says_what_differs_in_one_message(tmp_path):
    baseline = tmp_path / "view.png"
    assert_matches_baseline(png_bytes(graph_picture()), baseline, update=True,
                            environment=ENV_A)
    run = dict(ENV_A, browser="Chromium 157.0.2")
    with pytest.raises(AssertionError) as info:
        assert_matches_baseline(graph_picture(node_colour=(0, 0, 0)), baseline, environment=run)
    message = str(info.value)
    assert ("baseline made with browser Chromium 156.0.1; this run: browser Chromium 157.0.2"
            in message)
    assert "fonts" not in message.split("The environment differs")[1].split("\n")[0]
    actual, diff = failure_paths(baseline)
    assert str(actual) in message and str(diff) in message
    assert message.count("does not match baseline") == 1


def test_a_mismatch_in_the_same_environment_does_not_blame_it(tmp_path):
    baseline = tmp_path / "view.png"
    assert_matches_baseline(png_bytes(graph_picture()), baseline, update=True,
                            environment=ENV_A)
    with pytest.raises(AssertionError) as info:
        assert_matches_baseline(graph_picture(node_colour=(0, 0, 0)), baseline,
                                environment=dict(ENV_A))
    assert "environment" not in str(info.value)


def test_environment_difference_names_only_the_keys_that_differ():
    from gradviz.testing import environment_difference

    assert environment_difference(ENV_A, dict(ENV_A)) == ""
    assert environment_difference(None, ENV_A) == ""
    text = environment_difference(ENV_A, dict(ENV_A, gradviz="0.2.0", panel="1.9.4"))
    assert text == ("baseline made with gradviz 0.1.0, panel (not recorded); "
                    "this run: gradviz 0.2.0, panel 1.9.4")


def test_compare_structure_names_what_was_drawn_differently():
    from gradviz.testing import compare_structure

    drawn = [{"renderer": "gv_tensor_boxes", "glyph": "Rect",
              "fields": {"x": [1.0, 2.0], "fill_color": ["#fdd9a8", "#e4e7eb"]}},
             {"renderer": "gv_labels", "glyph": "Text", "fields": {"text": ["w", "x"]}}]
    same = [dict(d, fields=dict(d["fields"])) for d in drawn]
    assert compare_structure(same, drawn) == []
    recoloured = [dict(drawn[0], fields=dict(drawn[0]["fields"], fill_color=["#fdd9a8", "#000000"])),
                  drawn[1]]
    assert compare_structure(recoloured, drawn) == [
        'gv_tensor_boxes (Rect).fill_color: ["#fdd9a8", "#000000"] (baseline ["#fdd9a8", "#e4e7eb"])']
    assert compare_structure(drawn[:1], drawn) == ["gv_labels (Text): 0 drawn, 1 in the baseline"]
