"""Colour encodings a camera may send (audit finding 6): 16-bit colour machine-vision cameras
(rgb16, bgr16 and their alpha variants) are read at their top 8 bits, as mono16; a refused
encoding names the colour encodings that are taken, not the depth ones that are refused too."""

from __future__ import annotations

import numpy as np
import pytest
from sensor_msgs.msg import Image

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.image import image_to_rgb8, numpy_to_image
from mono_depth_ros.core.stamps import make_header

RNG = np.random.default_rng(16)


def _image(pixels: np.ndarray, encoding: str, bigendian: bool = False, pad_bytes: int = 0) -> Image:
    """An Image of ``pixels`` in ``encoding``, bytes in the stated order, rows padded by ``pad_bytes``."""
    height, width = pixels.shape[:2]
    data = pixels.astype(pixels.dtype.newbyteorder(">" if bigendian else "<")).reshape(height, -1).view(np.uint8)
    rows = np.zeros((height, data.shape[1] + pad_bytes), np.uint8)
    rows[:, : data.shape[1]] = data
    msg = Image(header=make_header(1, "cam"), height=height, width=width, encoding=encoding,
                is_bigendian=int(bigendian), step=rows.shape[1])
    msg.data = rows.tobytes()
    return msg


@pytest.mark.parametrize("encoding, order, channels", [("rgb16", (0, 1, 2), 3), ("bgr16", (2, 1, 0), 3),
                                                       ("rgba16", (0, 1, 2), 4), ("bgra16", (2, 1, 0), 4)])
@pytest.mark.parametrize("bigendian", [False, True])
def test_sixteen_bit_colour_keeps_the_top_eight_bits(encoding, order, channels, bigendian):
    rgb8 = RNG.integers(0, 256, (5, 6, 3), dtype=np.uint8)
    low = RNG.integers(0, 256, (5, 6, channels), dtype=np.uint16)  # below the top 8 bits: dropped
    pixels = low.copy()
    pixels[:, :, :3] = rgb8[:, :, list(order)].astype(np.uint16) * 256 + low[:, :, :3]
    out = image_to_rgb8(_image(pixels, encoding, bigendian=bigendian, pad_bytes=6))
    assert out.dtype == np.uint8 and out.shape == (5, 6, 3) and out.flags.c_contiguous
    np.testing.assert_array_equal(out, rgb8)


def test_rgb16_written_by_numpy_to_image_reads_back():
    rgb16 = RNG.integers(0, 65536, (4, 3, 3), dtype=np.uint16)
    out = image_to_rgb8(numpy_to_image(rgb16, "rgb16", make_header(1, "cam"), msg_cls=Image))
    np.testing.assert_array_equal(out, (rgb16 >> 8).astype(np.uint8))


def test_an_unknown_encoding_lists_only_the_colour_encodings():
    from mono_depth_ros.core.image import COLOUR_ENCODINGS

    msg = _image(np.zeros((2, 4, 1), np.uint8), "nv24")
    with pytest.raises(InputError, match="unsupported colour encoding") as info:
        image_to_rgb8(msg)
    text = str(info.value)
    assert "'rgb16'" in text and "'nv21'" in text and "'bayer_rggb16'" in text and "'mono16'" in text
    assert "16UC1" not in text and "32FC1" not in text
    assert "16UC1" not in COLOUR_ENCODINGS and "32FC1" not in COLOUR_ENCODINGS


@pytest.mark.parametrize("encoding, dtype", [("16UC1", np.uint16), ("32FC1", np.float32)])
def test_depth_encodings_are_refused_as_depth(encoding, dtype):
    with pytest.raises(InputError, match="depth/data encoding, not a colour image") as info:
        image_to_rgb8(_image(np.zeros((2, 2, 1), dtype), encoding))
    assert info.value.args and "encoding" in str(info.value)
