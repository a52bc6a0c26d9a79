"""sensor_msgs/Image and CompressedImage <-> numpy, and RGB -> normalised network tensors.

Pixels are read with explicit strides, so rows padded beyond ``width * bytes_per_pixel``
(``step`` larger) and big-endian data (``is_bigendian = 1``) are handled without Python loops.
"""

from __future__ import annotations

import array
import sys
import threading
from typing import Any, Callable, Sequence

import cv2
import numpy as np

from mono_depth_ros.core._msgs import alloc_bytes, as_uint8, bytes_field, construct_with_data, default_cls, \
    is_rosbags_cls
from mono_depth_ros.core.errors import InputError

#: encoding -> (channels, dtype). ``yuv422`` is UYVY and ``yuv422_yuy2`` is YUYV (2 bytes/pixel).
ENCODINGS: dict[str, tuple[int, np.dtype]] = {
    "rgb8": (3, np.dtype(np.uint8)),
    "bgr8": (3, np.dtype(np.uint8)),
    "rgba8": (4, np.dtype(np.uint8)),
    "bgra8": (4, np.dtype(np.uint8)),
    "mono8": (1, np.dtype(np.uint8)),
    "mono16": (1, np.dtype(np.uint16)),
    "rgb16": (3, np.dtype(np.uint16)),
    "bgr16": (3, np.dtype(np.uint16)),
    "rgba16": (4, np.dtype(np.uint16)),
    "bgra16": (4, np.dtype(np.uint16)),
    "8UC1": (1, np.dtype(np.uint8)),
    "8UC3": (3, np.dtype(np.uint8)),
    "16UC1": (1, np.dtype(np.uint16)),
    "32FC1": (1, np.dtype(np.float32)),
    "yuv422": (2, np.dtype(np.uint8)),
    "yuv422_yuy2": (2, np.dtype(np.uint8)),
    **{f"bayer_{pattern}{bits}": (1, np.dtype(np.uint8 if bits == 8 else np.uint16))
       for pattern in ("rggb", "bggr", "gbrg", "grbg") for bits in (8, 16)},
}

#: depth / data encodings: known to the pixel readers and writers, never taken as a colour image
DATA_ENCODINGS = ("16UC1", "32FC1")
#: YUV 4:2:0 semi-planar (phone cameras, V4L2 and GStreamer drivers): ``height`` rows of Y (``step``
#: bytes each), then ``height / 2`` rows of interleaved chroma (V U for nv21, U V for nv12); as rviz2
#: reads them. Colour only (:func:`image_to_rgb8`), not in ``ENCODINGS`` (no per-pixel layout).
_YUV420SP_TO_RGB = {"nv21": cv2.COLOR_YUV2RGB_NV21, "nv12": cv2.COLOR_YUV2RGB_NV12}
#: the encodings :func:`image_to_rgb8` takes
COLOUR_ENCODINGS = tuple(sorted((set(ENCODINGS) - set(DATA_ENCODINGS)) | set(_YUV420SP_TO_RGB)))
# channel order of the 16-bit colour encodings (kept to their top 8 bits, as mono16)
_COLOUR16 = {"rgb16": (0, 1, 2), "bgr16": (2, 1, 0), "rgba16": (0, 1, 2), "bgra16": (2, 1, 0)}

_YUV_TO_RGB = {"yuv422": cv2.COLOR_YUV2RGB_UYVY, "yuv422_yuy2": cv2.COLOR_YUV2RGB_YUY2}
# OpenCV names a Bayer pattern by the second row's second and third pixels, so ROS's rggb (R G / G B
# from the top-left) is OpenCV's "BG" (as cv_bridge maps them).
_BAYER_TO_RGB = {
    "rggb": cv2.COLOR_BayerBG2RGB, "bggr": cv2.COLOR_BayerRG2RGB,
    "gbrg": cv2.COLOR_BayerGR2RGB, "grbg": cv2.COLOR_BayerGB2RGB,
}
_HOST_BIGENDIAN = sys.byteorder == "big"


def _encoding_info(encoding: str) -> tuple[int, np.dtype]:
    try:
        return ENCODINGS[encoding]
    except (KeyError, TypeError):
        raise InputError("encoding", encoding, f"unsupported; known: {sorted(ENCODINGS)}") from None


def _check_geometry(msg: Any, bytes_per_px: int, n_bytes: int) -> tuple[int, int, int]:
    """Validate height/width/step/len(data); returns (height, width, step)."""
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height <= 0:
        raise InputError("height", height, "must be > 0")
    if width <= 0:
        raise InputError("width", width, "must be > 0")
    if step < width * bytes_per_px:
        raise InputError("step", step, f"smaller than width*bytes_per_pixel = {width}*{bytes_per_px}"
                         f" = {width * bytes_per_px} for encoding {msg.encoding!r}")
    if n_bytes != step * height:
        raise InputError("data", f"len={n_bytes}", f"expected step*height = {step}*{height}"
                         f" = {step * height} bytes")
    return height, width, step


def image_to_numpy(msg: Any) -> np.ndarray:
    """Raw pixels of a ``sensor_msgs/Image``: (H, W) for 1 channel, else (H, W, C).

    Native byte order; padding bytes at row ends are dropped. The result may be a read-only
    view on the message buffer: copy it before writing. yuv422 encodings give (H, W, 2) uint8.
    """
    channels, dtype = _encoding_info(msg.encoding)
    bytes_per_px = channels * dtype.itemsize
    buf = as_uint8(msg.data)
    height, width, step = _check_geometry(msg, bytes_per_px, buf.size)
    big = bool(msg.is_bigendian)
    src_dtype = dtype.newbyteorder(">" if big else "<") if dtype.itemsize > 1 else dtype
    pixels = np.ndarray(shape=(height, width, channels), dtype=src_dtype, buffer=buf,
                        strides=(step, bytes_per_px, dtype.itemsize))
    if dtype.itemsize > 1 and big != _HOST_BIGENDIAN:
        pixels = pixels.astype(dtype.newbyteorder("="))
    elif step != width * bytes_per_px:
        pixels = np.ascontiguousarray(pixels)
    return pixels[:, :, 0] if channels == 1 else pixels


def image_to_rgb8(msg: Any) -> np.ndarray:
    """(H, W, 3) uint8 RGB from rgb8/bgr8/rgba8/bgra8/mono8/8UC1/8UC3(BGR)/mono16/rgb16/bgr16/rgba16/bgra16/
    yuv422/nv21/nv12/bayer_* images (``COLOUR_ENCODINGS``).

    mono16, rgb16/bgr16 (16-bit colour machine-vision cameras), rgba16/bgra16 and bayer_*16 keep the
    top 8 bits (value >> 8), as cv_bridge does. Bayer mosaics (a machine-vision camera's
    ``image_raw``) are demosaiced bilinearly (OpenCV); they need at least 2x2 pixels. 16UC1 and 32FC1
    are depth or data images, not colour, and raise InputError; so does any other encoding, naming
    the colour encodings that are taken.
    """
    encoding = msg.encoding
    if encoding in DATA_ENCODINGS:
        raise InputError("encoding", encoding, "is a depth/data encoding, not a colour image")
    if encoding not in COLOUR_ENCODINGS:
        raise InputError("encoding", encoding, f"unsupported colour encoding; known: {list(COLOUR_ENCODINGS)}")
    if encoding in _YUV420SP_TO_RGB:
        return _yuv420sp_to_rgb8(msg)
    if encoding in _YUV_TO_RGB and int(msg.width) % 2:
        raise InputError("width", int(msg.width), f"{encoding} packs pixel pairs: width must be even")
    if encoding.startswith("bayer_") and encoding in ENCODINGS and min(int(msg.width), int(msg.height)) < 2:
        raise InputError("width x height", f"{msg.width}x{msg.height}", f"{encoding} needs at least 2x2 pixels")
    pixels = image_to_numpy(msg)
    if encoding in _YUV_TO_RGB:
        return cv2.cvtColor(np.ascontiguousarray(pixels), _YUV_TO_RGB[encoding])
    if encoding.startswith("bayer_"):
        rgb = cv2.cvtColor(np.ascontiguousarray(pixels), _BAYER_TO_RGB[encoding[6:10]])
        return (rgb >> 8).astype(np.uint8) if rgb.dtype == np.uint16 else rgb
    if encoding == "rgb8":
        rgb = pixels
    elif encoding in ("bgr8", "8UC3"):
        rgb = pixels[:, :, ::-1]
    elif encoding == "rgba8":
        rgb = pixels[:, :, :3]
    elif encoding == "bgra8":
        rgb = pixels[:, :, 2::-1]
    elif encoding == "mono16":
        rgb = np.repeat((pixels >> 8).astype(np.uint8)[:, :, None], 3, axis=2)
    elif encoding in _COLOUR16:
        rgb = (pixels[:, :, list(_COLOUR16[encoding])] >> 8).astype(np.uint8)
    else:  # mono8 / 8UC1
        rgb = np.repeat(pixels[:, :, None], 3, axis=2)
    return np.ascontiguousarray(rgb)


def _yuv420sp_to_rgb8(msg: Any) -> np.ndarray:
    """(H, W, 3) uint8 RGB of an nv21 / nv12 image (``height`` + ``height / 2`` rows of ``step`` bytes)."""
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height <= 0 or width <= 0 or height % 2 or width % 2:
        raise InputError("width x height", f"{width}x{height}", f"{msg.encoding} subsamples chroma 2x2: both must "
                                                              "be even and > 0")
    if step < width:
        raise InputError("step", step, f"smaller than width = {width} for encoding {msg.encoding!r}")
    buf = as_uint8(msg.data)
    if buf.size != step * height * 3 // 2:
        raise InputError("data", f"len={buf.size}", f"expected step*height*3/2 = {step}*{height}*3/2 = "
                         f"{step * height * 3 // 2} bytes ({msg.encoding}: Y rows, then half as many chroma rows)")
    planes = np.ascontiguousarray(buf.reshape(height * 3 // 2, step)[:, :width])
    return cv2.cvtColor(planes, _YUV420SP_TO_RGB[msg.encoding])


def compressed_to_rgb8(msg: Any) -> np.ndarray:
    """(H, W, 3) uint8 RGB from a ``sensor_msgs/CompressedImage`` (jpeg or png) via OpenCV."""
    fmt = str(getattr(msg, "format", ""))
    if "compresseddepth" in fmt.lower().replace(" ", ""):
        raise InputError("format", fmt, "compressedDepth carries depth, not a colour image")
    buf = as_uint8(msg.data)
    if buf.size == 0:
        raise InputError("data", "len=0", "empty compressed image")
    bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError("data", f"len={buf.size}, format={fmt!r}",
                         "OpenCV could not decode it (expected jpeg or png)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def rgb8_to_compressed(rgb: np.ndarray, header: Any, fmt: str = "jpeg", quality: int = 90,
                       msg_cls: type | None = None) -> Any:
    """``sensor_msgs/CompressedImage`` (format ``"jpeg"`` or ``"png"``) of an (H, W, 3) uint8 RGB."""
    _check_rgb8(rgb)
    if fmt not in ("jpeg", "png"):
        raise InputError("fmt", fmt, "must be 'jpeg' or 'png'")
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if fmt == "jpeg" else []
    ok, encoded = cv2.imencode(".jpg" if fmt == "jpeg" else ".png",
                               cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise InputError("rgb", rgb.shape, f"OpenCV could not encode {fmt}")
    cls = msg_cls or default_cls("sensor_msgs", "CompressedImage")
    return cls(header=header, format=f"rgb8; {fmt} compressed bgr8",
               data=bytes_field(encoded, cls))


_SCRATCH = threading.local()


def scratch(slot: str, shape: tuple[int, ...], dtype: Any = np.float32) -> np.ndarray:
    """A per-thread work array named ``slot``, reused while its shape and dtype stay the same, so a
    per-frame conversion does not fault in fresh pages every frame (costly on VMs). Its contents
    are whatever the last user left: write before reading."""
    arr = getattr(_SCRATCH, slot, None)
    if arr is None or arr.shape != tuple(shape) or arr.dtype != dtype:
        arr = np.empty(shape, dtype=dtype)
        setattr(_SCRATCH, slot, arr)
    return arr


_POOL = threading.local()
_POOL_PER_SIZE = 3  # buffers kept per thread and size: the one being built, up to two still held


def message_buffer(n_bytes: int, msg_cls: type) -> tuple[Any, np.ndarray]:
    """``alloc_bytes`` for an output message, reusing the buffer of an earlier one nobody holds.

    A node builds an image or cloud, publishes it (rclpy serialises it during ``publish``) and
    drops it; the next frame then writes into the same ``array.array`` instead of faulting in
    megabytes of fresh zero-filled pages. A buffer still referenced anywhere (a caller kept the
    message) is never reused: only buffers whose sole owner is this per-thread pool are.
    """
    if is_rosbags_cls(msg_cls):
        return alloc_bytes(n_bytes, msg_cls)
    pools = getattr(_POOL, "by_size", None)
    if pools is None:
        pools = _POOL.by_size = {}
    pool = pools.setdefault(n_bytes, [])
    for data in pool:
        if sys.getrefcount(data) == 3:  # the pool's list, the loop variable, getrefcount's argument
            return data, np.frombuffer(data, dtype=np.uint8)
    data, view = alloc_bytes(n_bytes, msg_cls)
    if isinstance(data, array.array):
        pool.append(data)
        del pool[:-_POOL_PER_SIZE]
        while len(pools) > 8:  # sizes of frames long gone
            del pools[next(iter(pools))]
    return data, view


def build_image(height: int, width: int, encoding: str, header: Any, write: Callable[[np.ndarray], Any],
                msg_cls: type | None = None) -> Any:
    """``sensor_msgs/Image`` (dense rows, host byte order) whose pixels ``write`` fills in place.

    ``write`` gets the message's own buffer as an (H, W, C) array of the encoding's dtype, so a
    producer (a depth conversion, a colour map) writes each output pixel once, with no
    intermediate image and no copy into the message afterwards.
    """
    channels, dtype = _encoding_info(encoding)
    height, width = int(height), int(width)
    if height <= 0 or width <= 0:
        raise InputError("height x width", (height, width), "must both be > 0")
    cls = msg_cls or default_cls("sensor_msgs", "Image")
    data, buf = message_buffer(height * width * channels * dtype.itemsize, cls)
    write(buf.view(dtype.newbyteorder("=")).reshape(height, width, channels))
    del buf  # release the buffer export before rclpy takes the array.array
    return construct_with_data(cls, data, header=header, height=height, width=width,
                               encoding=encoding, is_bigendian=int(_HOST_BIGENDIAN),
                               step=int(width * channels * dtype.itemsize))


def numpy_to_image(array: np.ndarray, encoding: str, header: Any,
                   msg_cls: type | None = None) -> Any:
    """``sensor_msgs/Image`` of ``array`` ((H, W) or (H, W, C)), dense rows, host byte order.

    The array's channel count and dtype must match ``ENCODINGS[encoding]`` (no silent casts).
    ``header`` is used as given (copy the input header to outputs, as depth_image_proc does).
    rclpy messages are built with ``check_fields=True`` so the pixel buffer is handed over
    without rclpy's two internal copies (see ``_msgs.construct_with_data``).
    """
    channels, dtype = _encoding_info(encoding)
    array = np.asarray(array)
    if array.ndim == 2 and channels == 1:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] != channels:
        raise InputError("array.shape", array.shape,
                         f"encoding {encoding!r} needs (H, W{', ' + str(channels) if channels > 1 else ''})")
    if array.dtype.newbyteorder("=") != dtype:
        raise InputError("array.dtype", str(array.dtype), f"encoding {encoding!r} needs {dtype}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError("array.shape", array.shape, "height and width must be > 0")

    def copy(view: np.ndarray) -> None:
        view[...] = array  # the one copy

    return build_image(array.shape[0], array.shape[1], encoding, header, copy, msg_cls=msg_cls)


def _check_rgb8(rgb: np.ndarray) -> None:
    if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise InputError("rgb.shape", getattr(rgb, "shape", type(rgb).__name__), "expected (H, W, 3)")
    if rgb.dtype != np.uint8:
        raise InputError("rgb.dtype", str(rgb.dtype), "expected uint8")
    if rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise InputError("rgb.shape", rgb.shape, "height and width must be > 0")


def rgb8_to_tensor(rgb: np.ndarray, mean: Sequence[float] | float,
                   std: Sequence[float] | float) -> np.ndarray:
    """(1, 3, H, W) float32 tensor ``(rgb / 255 - mean) / std`` of an (H, W, 3) uint8 RGB image.

    ``mean``/``std`` are per channel (R, G, B) on the [0, 1] scale, or scalars.
    """
    _check_rgb8(rgb)
    mean_arr = np.broadcast_to(np.asarray(mean, dtype=np.float64), (3,))
    std_arr = np.broadcast_to(np.asarray(std, dtype=np.float64), (3,))
    if not np.all(np.isfinite(mean_arr)):
        raise InputError("mean", tuple(mean_arr), "must be finite")
    if not np.all(np.isfinite(std_arr)) or np.any(std_arr == 0):
        raise InputError("std", tuple(std_arr), "must be finite and non-zero")
    scale = (1.0 / (255.0 * std_arr)).astype(np.float32)
    offset = (-mean_arr / std_arr).astype(np.float32)
    out = np.empty((1, 3) + rgb.shape[:2], dtype=np.float32)
    for c in range(3):  # one fused multiply-add per channel plane, no (H, W, 3) float temporary
        np.multiply(rgb[:, :, c], scale[c], out=out[0, c], dtype=np.float32)
        out[0, c] += offset[c]
    return out
