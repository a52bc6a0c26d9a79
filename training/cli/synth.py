"""``python -m training synth``: render a synthetic RGB-D (+stereo) sequence into a rosbag2 (MCAP)."""

from __future__ import annotations

import argparse

from mono_depth_ros.synth.lighting import LIGHTING_MODES
from mono_depth_ros.synth.shapes import SHAPE_MODES
from mono_depth_ros.synth.realism import CAMERA_MODES, LOOK_MODES
from mono_depth_ros.synth.scene import LAYOUTS, SCENES, TEXTURE_MODES
from mono_depth_ros.synth.trajectory import TRAJECTORIES


MAX_SIDE = 4096  # the renderer holds several float64 (H, W, 3) planes: 4096x4096 is about 0.4 GB each


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 320x240") from None
    if not (8 <= width <= MAX_SIDE and 8 <= height <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"--size {text!r}: width and height must be in [8, {MAX_SIDE}]")
    return width, height


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "synth", help="Render a synthetic RGB-D (+stereo) sequence with exact ground truth into a rosbag2 (MCAP).",
        description="Ray-cast a procedural textured scene along a camera path and write a rosbag2 "
                    "(MCAP) with /camera/image_raw (rgb8), /camera/camera_info, /camera/depth/image "
                    "(32FC1 m), optional /camera/right/*, /tf (odom->camera_link) and /tf_static.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", required=True, help="output bag folder (must not exist)")
    parser.add_argument("--frames", type=int, default=100, help="number of frames")
    parser.add_argument("--seed", type=int, default=0, help="random seed (scene, textures, path)")
    parser.add_argument("--size", type=_size, default=(320, 240), metavar="WxH", help="image size")
    parser.add_argument("--scene", choices=SCENES, default="indoor",
                        help="procedural world: indoor (rooms), street, desk (close range: desks crowded with "
                             "objects seen from above, 0.4-3 m; one layout)")
    parser.add_argument("--trajectory", choices=TRAJECTORIES, default=None,
                        help="camera path (default: handheld indoors and at the desks, turning on the street; panning: looking "
                             "around at the rates of real hand-held cameras, 16 deg/s on average)")
    parser.add_argument("--stereo", action="store_true", help="also render a right camera")
    parser.add_argument("--baseline", type=float, default=0.12, help="stereo baseline in metres")
    parser.add_argument("--moving-objects", type=int, default=0, help="independently moving boxes")
    parser.add_argument("--fps", type=float, default=10.0, help="frame rate that sets the stamps")
    real = parser.add_argument_group("realism (all drawn from --seed; defaults give the original clean world)")
    real.add_argument("--layout", choices=LAYOUTS, default="basic",
                      help="rich: rooms with doors, windows, shelves, tables, chairs; streets with lane markings, "
                           "sidewalks, facades, open space, cars/vans, trees, poles, people")
    real.add_argument("--textures", choices=TEXTURE_MODES, default=None,
                      help="basic (default; --realistic: photos): photos: random crops of many scikit-image "
                           "photographs on walls, floors, objects; heldout: the same with photographs no "
                           "training render uses (scikit-learn's and matplotlib's samples), for validation only")
    real.add_argument("--camera", choices=CAMERA_MODES, default="fixed",
                      help="real: aspect (4:3, 16:10 indoors; up to 3.3:1 street), FOV, height (0.3-1.7 m "
                           "indoors, ~1.65 m car), pitch, roll and (indoors) heading off the path of real cameras; "
                           "keeps --size's height")
    real.add_argument("--look", choices=LOOK_MODES, default="clean",
                      help="real: exposure, white balance, gamma, vignetting, blur, sensor noise, 30%% mono sensors")
    real.add_argument("--distortion-k1", type=float, default=0.0,
                      help="plumb_bob radial distortion D = (k1, -k1/4, 0, 0, 0) in image and camera_info "
                           "(EuRoC-like: -0.28); depth stays the optical z of each distorted pixel")
    real.add_argument("--vertical-motion", type=float, default=0.0, metavar="M",
                      help="amplitude in metres of a slow up-and-down excursion of the camera (hand-held, drone, "
                           "stairs), so the image also moves down the columns; limited to keep the camera 0.2 m "
                           "above the floor and indoors below 2.2 m")
    real.add_argument("--lighting", choices=LIGHTING_MODES, default="flat",
                      help="shadows: cast shadows (the sun outdoors, a ceiling lamp with fall-off indoors) and "
                           "darkened creases and contacts; flat: each face lit by its angle to the sun alone")
    real.add_argument("--shapes", choices=SHAPE_MODES, default="boxes",
                      help="curved: some props become the cylinder or ellipsoid inscribed in their box (posts, "
                           "people, trunks, tree crowns, bushes, round tables; drawn from --seed, the layout "
                           "unchanged); boxes: every object a box")
    real.add_argument("--realistic", action="store_true",
                      help="shorthand for --layout rich --textures photos --camera real --look real (an explicit "
                           "--textures stays)")
    return parser


def synth_options(args: argparse.Namespace) -> dict:
    """SynthConfig's keyword arguments from the parsed command line (``--realistic`` expanded; an
    explicit ``--textures`` stays)."""
    options = dict(frames=args.frames, seed=args.seed, size_wh=args.size, scene=args.scene, stereo=args.stereo,
                   baseline_m=args.baseline, moving_objects=args.moving_objects, fps=args.fps,
                   trajectory=args.trajectory, layout=args.layout, textures=args.textures or "basic", camera=args.camera,
                   look=args.look, distortion_k1=args.distortion_k1, vertical_motion_m=args.vertical_motion,
                   lighting=args.lighting, shapes=args.shapes)
    if args.realistic:
        options.update(layout="rich", textures=args.textures or "photos", camera="real", look="real")
    return options


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from mono_depth_ros.synth import SynthConfig, write_synthetic_bag

    options = synth_options(args)
    SynthConfig(**options).validate()  # a bad option is one line before the progress bar starts
    with tqdm(total=args.frames, unit="frame", desc="synth") as bar:
        seq = write_synthetic_bag(args.out, progress=bar.update, **options)
    cam, rig = seq.camera, seq.rig
    print(f"wrote {args.frames} frames of {cam.width}x{cam.height} to {args.out} (hfov {rig.hfov_deg:.0f} deg, "
          f"height {rig.height_m:.2f} m, pitch {rig.pitch_rad * 57.2958:.1f} deg, yaw {rig.yaw_rad * 57.2958:.0f} deg, "
          f"mono {seq.look.grayscale}"
          + (f", vertical +-{seq.trajectory.vertical_m:.2f} m" if seq.trajectory.vertical_m > 0 else "")
          + (f"; {seq.lighting.describe()}" if seq.lighting is not None else "") + ")")
    return 0
