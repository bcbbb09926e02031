"""Checking uploaded screenshots and re-encoding them with Pillow.

What a file is comes from its content, never from its name or the type the client sent.
Pixel counts are checked from the header before any pixel is decoded, so a small file
that unpacks into a huge picture (a decompression bomb) is refused cheaply. The stored
image is re-encoded from its pixels alone: EXIF (camera, GPS, times), text chunks and
other metadata are dropped, after the EXIF orientation has been applied so the picture
stays upright.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from core_api.errors import AppError, FieldError

# Pillow format name → (content type, file extension, save options).
FORMATS: dict[str, tuple[str, str, dict[str, object]]] = {
    "PNG": ("image/png", "png", {"optimize": True}),
    "JPEG": ("image/jpeg", "jpg", {"quality": 90}),
    "WEBP": ("image/webp", "webp", {"quality": 90}),
}
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = (320, 320)

# Pillow's own bomb check only warns below twice its limit; `_check_header` below refuses
# at a lower limit at the same point (after the header, before any pixel), per call.
Image.MAX_IMAGE_PIXELS = None


@dataclass(frozen=True)
class Picture:
    """An image encoded again without its metadata."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class CleanImage:
    """A checked upload: the picture to store and its thumbnail."""

    original: Picture
    thumbnail: Picture


class ImageRefusedError(AppError):
    """The file is not an image core accepts; the message says why."""

    def __init__(self, message: str, location: str, status: int = 422) -> None:
        super().__init__(status, "Invalid image", errors=[FieldError(location, message)])


def clean_image(
    data: bytes,
    location: str = "form.file",
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> CleanImage:
    """The upload re-encoded without metadata, with a thumbnail of at most 320×320.

    ImageRefusedError (naming `location`) for an empty file, an over-large one (413),
    content that is not a PNG, JPEG or WebP image (415), an animation, more than
    `max_pixels` pixels, or a file that is cut short or corrupt.
    """
    if not data:
        raise ImageRefusedError("is empty", location)
    if len(data) > max_bytes:
        raise ImageRefusedError(f"is larger than {max_bytes} bytes", location, status=413)
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
            _check_header(image, location, max_pixels)
            image.load()
            upright = ImageOps.exif_transpose(image)
            return CleanImage(
                original=_encode(upright, image.format or ""),
                thumbnail=_encode(_thumbnail(upright), image.format or ""),
            )
    except UnidentifiedImageError:
        raise ImageRefusedError("is not a PNG, JPEG or WebP image", location, status=415) from None
    except (OSError, SyntaxError, ValueError):
        # Truncated or corrupt data, as Pillow finds it while decoding.
        raise ImageRefusedError("is damaged or cut short", location) from None


def _check_header(image: Image.Image, location: str, max_pixels: int) -> None:
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRefusedError(
            f"has {width}×{height} pixels, more than the {max_pixels} allowed", location
        )
    if getattr(image, "n_frames", 1) > 1:
        raise ImageRefusedError("is an animation; only still images are accepted", location)


def _thumbnail(image: Image.Image) -> Image.Image:
    small = image.copy()
    small.thumbnail(THUMBNAIL_SIZE)
    return small


def _encode(image: Image.Image, pillow_format: str) -> Picture:
    content_type, extension, options = FORMATS[pillow_format]
    buffer = io.BytesIO()
    # No exif, icc_profile or pnginfo is passed, so none is written.
    image.save(buffer, format=pillow_format, **options)
    return Picture(buffer.getvalue(), content_type, extension, image.width, image.height)
