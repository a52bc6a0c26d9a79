"""Pure, typed loss functions of the three methods (shapes in each docstring).

- :mod:`scale_invariant`: Eigen 2014 scale-invariant log loss.
- :mod:`ranking`: Xian 2018 (improved) ranking loss on sampled point pairs.
- :mod:`geometry`: rotations, depth-map warping, bilinear resampling.
- :mod:`photometric`: SSIM, weighted SSIM, occlusion-aware RGB consistency (Li 2020).
- :mod:`regularizers`: edge-aware smoothness, motion smoothness/sparsity, anti-collapse terms.
- :mod:`cycle`: rotation / translation cycle consistency.
"""

from training.losses.cycle import motion_field_consistency, rotation_cycle_error
from training.losses.geometry import TransformedDepth, axis_angle_to_matrix, resample, transform_depth_map
from training.losses.photometric import gaussian_blur, rgbd_consistency_loss, ssim, weighted_ssim
from training.losses.ranking import ordinal_labels, ranking_loss, ranking_loss_pairs
from training.losses.regularizers import (depth_variance_loss, disparity_smoothness, edge_aware_smoothness,
                                          l1_smoothness, log_depth_mean_loss, normalize_motion_map,
                                          sqrt_sparsity)
from training.losses.scale_invariant import scale_invariant_log_loss

__all__ = ["TransformedDepth", "axis_angle_to_matrix", "depth_variance_loss", "disparity_smoothness", "gaussian_blur",
           "edge_aware_smoothness", "l1_smoothness", "log_depth_mean_loss", "motion_field_consistency",
           "normalize_motion_map", "ordinal_labels", "ranking_loss", "ranking_loss_pairs", "resample",
           "rgbd_consistency_loss", "rotation_cycle_error", "scale_invariant_log_loss", "sqrt_sparsity", "ssim",
           "transform_depth_map", "weighted_ssim"]
