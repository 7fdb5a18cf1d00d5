"""Snack pictures: what an upload must be before it is stored and served."""

from __future__ import annotations

from typing import Final

from django.core.exceptions import ValidationError
from django.core.files import File
from PIL import Image, UnidentifiedImageError

# The folder of MEDIA_ROOT that pictures are stored in, and served from.
SNACK_PICTURES: Final = "snacks/"
MAX_IMAGE_BYTES: Final = 2 * 1024 * 1024
# Formats every browser shows; the name of the file and the Content-Type the
# client sent are not trusted, only what Pillow reads in the bytes.
IMAGE_FORMATS: Final = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
# A small file can declare a huge canvas (a decompression bomb); refuse it before
# anything decodes the pixels.
MAX_IMAGE_PIXELS: Final = 40_000_000


def validate_snack_image(image: File) -> None:
    """Refuse a file over the size limit or one that is not a picture we serve.

    :raises ValidationError: when it is too large, unreadable, or of another format.
    """
    if image.size is not None and image.size > MAX_IMAGE_BYTES:
        raise ValidationError(
            "The image is larger than %(limit)s bytes.",
            code="image_too_large",
            params={"limit": MAX_IMAGE_BYTES},
        )
    position = image.tell() if not image.closed else 0
    try:
        image.seek(0)
        with Image.open(image) as picture:
            width, height = picture.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError(
                    "The image has more than %(limit)s pixels.",
                    code="image_too_large",
                    params={"limit": MAX_IMAGE_PIXELS},
                )
            kind = picture.format
            picture.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            "The file is not a picture that can be read.", code="invalid_image"
        ) from exc
    except Image.DecompressionBombError as exc:
        raise ValidationError(
            "The image has too many pixels.", code="image_too_large"
        ) from exc
    finally:
        if not image.closed:
            image.seek(position)
    if kind not in IMAGE_FORMATS:
        raise ValidationError(
            "The image must be JPEG, PNG, WebP or GIF.", code="invalid_image"
        )
