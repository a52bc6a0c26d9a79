"""Image <-> numpy for every encoding, padded rows, big-endian data, YUV and compressed images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.image import (ENCODINGS, compressed_to_rgb8, image_to_numpy, image_to_rgb8,
                                       numpy_to_image, rgb8_to_compressed, rgb8_to_tensor)
from mono_depth_ros.core.stamps import make_header

from ._helpers import raw_image, rb, rb_header

RNG = np.random.default_rng(7)
PLAIN = ["rgb8", "bgr8", "rgba8", "bgra8", "mono8", "mono16", "8UC1", "8UC3", "16UC1", "32FC1"]


def random_pixels(encoding: str, height: int = 5, width: int = 7) -> np.ndarray:
    channels, dtype = ENCODINGS[encoding]
    shape = (height, width) if channels == 1 else (height, width, channels)
    if dtype == np.float32:
        return RNG.uniform(-100, 100, shape).astype(np.float32)
    return RNG.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)


@pytest.mark.parametrize("encoding", PLAIN)
@pytest.mark.parametrize("kind", ["rclpy", "rosbags"])
def test_round_trip_every_encoding(encoding, kind):
    pixels = random_pixels(encoding)
    if kind == "rclpy":
        msg = numpy_to_image(pixels, encoding, make_header(5, "cam"))
        assert isinstance(msg.data, (bytes, bytearray)) or msg.data.typecode == "B"
    else:
        msg = numpy_to_image(pixels, encoding, rb_header(), msg_cls=rb("sensor_msgs/msg/Image"))
        assert msg.data.dtype == np.uint8
    assert msg.step == pixels.shape[1] * pixels.itemsize * ENCODINGS[encoding][0]
    back = image_to_numpy(msg)
    assert back.dtype == pixels.dtype and back.shape == pixels.shape
    np.testing.assert_array_equal(back, pixels)


@pytest.mark.parametrize("encoding", PLAIN + ["yuv422", "yuv422_yuy2"])
@pytest.mark.parametrize("bigendian", [False, True])
def test_padded_rows_and_byte_order(encoding, bigendian):
    pixels = random_pixels(encoding, 4, 6)
    msg = raw_image(pixels, encoding, pad_bytes=5, bigendian=bigendian)
    assert msg.step > pixels.shape[1] * pixels.itemsize * ENCODINGS[encoding][0]
    back = image_to_numpy(msg)
    assert back.dtype.isnative
    np.testing.assert_array_equal(back, pixels)


def test_big_endian_16uc1_bytes_are_swapped():
    msg = raw_image(np.array([[0x0102, 0xA0B0]], dtype=np.uint16), "16UC1", bigendian=True)
    assert msg.data.tolist() == [0x01, 0x02, 0xA0, 0xB0]
    assert image_to_numpy(msg).tolist() == [[0x0102, 0xA0B0]]


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "rgba8", "bgra8", "mono8", "mono16"])
def test_image_to_rgb8_channel_order(encoding):
    rgb = RNG.integers(0, 256, (3, 4, 3), dtype=np.uint8)
    grey = rgb[:, :, 0]
    source = {"rgb8": rgb, "bgr8": rgb[:, :, ::-1],
              "rgba8": np.dstack([rgb, np.full((3, 4), 9, np.uint8)]),
              "bgra8": np.dstack([rgb[:, :, ::-1], np.full((3, 4), 9, np.uint8)]),
              "mono8": grey, "mono16": grey.astype(np.uint16) * 256 + 77}[encoding]
    expected = np.repeat(grey[:, :, None], 3, axis=2) if encoding.startswith("mono") else rgb
    out = image_to_rgb8(raw_image(source, encoding, pad_bytes=3))
    assert out.shape == (3, 4, 3) and out.dtype == np.uint8 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("encoding,code", [("yuv422", cv2.COLOR_YUV2RGB_UYVY),
                                           ("yuv422_yuy2", cv2.COLOR_YUV2RGB_YUY2)])
def test_yuv_matches_opencv(encoding, code):
    packed = RNG.integers(0, 256, (6, 8, 2), dtype=np.uint8)
    expected = cv2.cvtColor(packed, code)
    out = image_to_rgb8(raw_image(packed, encoding, pad_bytes=4))
    np.testing.assert_array_equal(out, expected)
    # a flat grey UYVY image (U = V = 128) decodes to grey
    grey = np.zeros((2, 4, 2), np.uint8)
    luma_index = 1 if encoding == "yuv422" else 0
    grey[:, :, luma_index] = 100
    grey[:, :, 1 - luma_index] = 128
    rgb = image_to_rgb8(raw_image(grey, encoding))
    assert np.all(np.abs(rgb.astype(int) - rgb[0, 0, 0]) == 0) and 80 < rgb[0, 0, 0] < 110


def _yuv420sp(rgb: np.ndarray, encoding: str, pad_bytes: int = 0):
    """An nv21 / nv12 Image of ``rgb`` (even sizes): OpenCV's I420 planes, chroma interleaved by hand."""
    h, w = rgb.shape[:2]
    i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).reshape(-1)
    y, u, v = i420[:h * w], i420[h * w:h * w * 5 // 4], i420[h * w * 5 // 4:]
    chroma = np.stack([v, u] if encoding == "nv21" else [u, v], axis=1).reshape(h // 2, w)
    return raw_image(np.concatenate([y.reshape(h, w), chroma]), encoding, pad_bytes=pad_bytes), h


@pytest.mark.parametrize("encoding", ["nv21", "nv12"])
def test_yuv420_semi_planar_decodes_to_the_colours(encoding):
    """A smooth colour image through nv21 / nv12 (rows padded) comes back within the 4:2:0 rounding;
    chroma order matters: red stays red (swapping U and V would turn it blue)."""
    yy, xx = np.mgrid[0:24, 0:32]
    rgb = np.dstack([200 - xx * 3, 40 + yy * 4, 60 + xx * 2]).astype(np.uint8)
    msg, h = _yuv420sp(rgb, encoding, pad_bytes=6)
    msg.height = h  # the image's rows (the Y plane's), not the buffer's
    out = image_to_rgb8(msg)
    assert out.shape == (24, 32, 3) and out.dtype == np.uint8
    error = np.abs(out.astype(int) - rgb)
    assert error.mean() <= 2 and error.max() <= 8, (error.mean(), error.max())
    assert out[0, 0, 0] > out[0, 0, 2] + 100  # red, not blue
    with pytest.raises(InputError, match=r"len=.*expected step\*height\*3/2"):
        msg.height = h - 2
        image_to_rgb8(msg)
    odd, _ = _yuv420sp(rgb[:, :30], encoding)
    odd.height, odd.width = 24, 29
    with pytest.raises(InputError, match="width x height='29x24'.*must be even"):
        image_to_rgb8(odd)


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_compressed_round_trip(fmt):
    yy, xx = np.mgrid[0:32, 0:48]
    rgb = np.dstack([xx * 5, yy * 7, np.full_like(xx, 200)]).astype(np.uint8)
    msg = rgb8_to_compressed(rgb, rb_header(), fmt=fmt, quality=95,
                             msg_cls=rb("sensor_msgs/msg/CompressedImage"))
    out = compressed_to_rgb8(msg)
    tolerance = 0 if fmt == "png" else 6
    assert np.abs(out.astype(int) - rgb).mean() <= tolerance
    assert out[0, -1, 0] > out[0, 0, 0] + 150  # red grows to the right: channels not swapped


def test_compressed_rclpy_class():
    rgb = np.zeros((8, 10, 3), np.uint8)
    rgb[:, :5] = (255, 0, 0)
    out = compressed_to_rgb8(rgb8_to_compressed(rgb, make_header(1, "cam"), fmt="png"))
    np.testing.assert_array_equal(out, rgb)


def test_compressed_errors():
    cls = rb("sensor_msgs/msg/CompressedImage")
    with pytest.raises(InputError) as info:
        compressed_to_rgb8(cls(header=rb_header(), format="jpeg", data=np.zeros(0, np.uint8)))
    assert info.value.field == "data"
    with pytest.raises(InputError) as info:
        compressed_to_rgb8(cls(header=rb_header(), format="jpeg", data=np.arange(50, dtype=np.uint8)))
    assert info.value.field == "data" and "decode" in str(info.value)


def test_rgb8_to_tensor_values():
    rgb = np.array([[[255, 0, 51], [0, 255, 102]]], dtype=np.uint8)  # (1, 2, 3)
    mean, std = (0.5, 0.25, 0.1), (0.5, 0.25, 0.2)
    out = rgb8_to_tensor(rgb, mean, std)
    assert out.shape == (1, 3, 1, 2) and out.dtype == np.float32
    expected = ((rgb / 255.0 - np.array(mean)) / np.array(std)).transpose(2, 0, 1)[None]
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    assert out[0, 0, 0, 0] == pytest.approx(1.0) and out[0, 2, 0, 0] == pytest.approx(0.5)
    with pytest.raises(InputError) as info:
        rgb8_to_tensor(rgb, mean, (1.0, 0.0, 1.0))
    assert info.value.field == "std"


def _mosaic(rgb: np.ndarray, pattern: str) -> np.ndarray:
    """(H, W) Bayer mosaic of an (H, W, 3) image: ``pattern`` names the 2x2 tile's colours row by
    row from the top-left, as ROS's bayer_* encodings do (rggb: R G / G B)."""
    mosaic = np.empty(rgb.shape[:2], rgb.dtype)
    for index, colour in enumerate(pattern):
        row, col = divmod(index, 2)
        mosaic[row::2, col::2] = rgb[row::2, col::2, "rgb".index(colour)]
    return mosaic


@pytest.mark.parametrize("pattern", ["rggb", "bggr", "gbrg", "grbg"])
@pytest.mark.parametrize("bits", [8, 16])
def test_bayer_is_demosaiced_in_the_right_colours(pattern, bits):
    # a smooth image with a different ramp per channel: a swapped pattern would swap red and blue
    yy, xx = np.mgrid[0:16, 0:20].astype(np.float64)
    rgb = np.dstack([40 + 8 * xx, 60 + 5 * yy, 220 - 6 * xx]).astype(np.uint8)
    mosaic = _mosaic(rgb, pattern)
    if bits == 16:
        mosaic = mosaic.astype(np.uint16) * 256 + 99  # the low byte is dropped, as for mono16
    out = image_to_rgb8(raw_image(mosaic, f"bayer_{pattern}{bits}", pad_bytes=2, bigendian=bits == 16))
    assert out.shape == (16, 20, 3) and out.dtype == np.uint8
    inner = (slice(2, -2), slice(2, -2))  # bilinear demosaicing of a linear ramp is exact inside
    assert np.abs(out[inner].astype(int) - rgb[inner]).max() <= 1
    # the other three patterns' codes give the wrong colours on the same mosaic
    for other in {"rggb", "bggr", "gbrg", "grbg"} - {pattern}:
        wrong = image_to_rgb8(raw_image(_mosaic(rgb, pattern), f"bayer_{other}8"))
        assert np.abs(wrong[inner].astype(int) - rgb[inner]).max() > 20


def test_bayer_below_two_pixels_is_a_clear_error():
    with pytest.raises(InputError, match="bayer_rggb8 needs at least 2x2"):
        image_to_rgb8(raw_image(np.zeros((1, 8), np.uint8), "bayer_rggb8"))
