"""cardprep: paired-photo dataset preparation (simulate, align, augment, frames).

Conventions used throughout: images are (H, W, 3) uint8 BGR arrays (OpenCV order); points
are (x, y) in pixels with pixel centres at integer coordinates (OpenCV's convention); a
homography named ``a_from_b`` maps pixel coordinates of image B to those of image A.

The data contracts that comments cite as "Contract 1-4" are in docs/design.md.
"""

__version__ = "0.1.0"
