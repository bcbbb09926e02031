from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from core_api.attachments.images import MAX_BYTES, ImageRefusedError, clean_image


def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def refusal(data: bytes, max_bytes: int = MAX_BYTES) -> tuple[int, str]:
    with pytest.raises(ImageRefusedError) as refused:
        clean_image(data, max_bytes=max_bytes)
    [error] = refused.value.errors
    assert error.location == "form.file"
    return refused.value.status, error.message


class TestCleanImage:
    def test_exif_is_dropped_after_turning_the_picture_upright(self) -> None:
        exif = Image.Exif()
        exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
        exif[0x010F] = "Camera maker"
        exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
        photo = Image.new("RGB", (40, 20), "red")
        cleaned = clean_image(encoded(photo, "JPEG", exif=exif.tobytes()))
        stored = opened(cleaned.original.data)
        assert (stored.format, stored.size) == ("JPEG", (20, 40))
        assert not stored.getexif()
        assert "exif" not in stored.info
        assert (cleaned.original.content_type, cleaned.original.extension) == (
            "image/jpeg",
            "jpg",
        )

    def test_png_text_chunks_are_dropped_and_a_thumbnail_fits_320(self) -> None:
        text = PngImagePlugin.PngInfo()
        text.add_text("Author", "someone")
        screenshot = Image.new("RGBA", (1600, 900), (10, 20, 30, 255))
        cleaned = clean_image(encoded(screenshot, "PNG", pnginfo=text))
        assert "Author" not in opened(cleaned.original.data).info
        assert (cleaned.original.width, cleaned.original.height) == (1600, 900)
        thumbnail = opened(cleaned.thumbnail.data)
        assert (thumbnail.format, thumbnail.size) == ("PNG", (320, 180))

    def test_the_type_comes_from_the_content(self) -> None:
        status, message = refusal(b"GIF89a this is text pretending to be a picture")
        assert (status, message) == (415, "is not a PNG, JPEG or WebP image")
        bitmap = encoded(Image.new("RGB", (4, 4)), "BMP")
        assert refusal(bitmap)[1] == "is not a PNG, JPEG or WebP image"

    def test_a_decompression_bomb_is_refused_before_decoding(self) -> None:
        # A few kilobytes on disk, 100 million pixels once decoded.
        bomb = encoded(Image.new("1", (10_000, 10_000)), "PNG")
        assert len(bomb) < 100_000
        status, message = refusal(bomb)
        assert status == 422
        assert "10000×10000 pixels" in message

    def test_over_the_byte_limit_is_too_large(self) -> None:
        data = encoded(Image.new("RGB", (64, 64), "blue"), "PNG")
        assert refusal(data, max_bytes=len(data) - 1)[0] == 413

    def test_a_cut_short_file_is_damaged(self) -> None:
        data = encoded(Image.new("RGB", (256, 256), "green"), "JPEG")
        assert refusal(data[: len(data) // 2]) == (422, "is damaged or cut short")

    def test_an_animation_is_refused(self) -> None:
        frames = [Image.new("RGB", (8, 8), color) for color in ("red", "blue")]
        animated = encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:])
        assert "animation" in refusal(animated)[1]

    def test_an_empty_file_is_refused(self) -> None:
        assert refusal(b"") == (422, "is empty")
