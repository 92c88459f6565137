"""Images for the perceptual-hash, OCR and images-check tests: a synthetic
"logo" and variants of it (resized, recompressed as JPEG and GIF), two
unrelated images, and a "lure" image whose text is a phishing lure.

    gen_images.py OUTDIR    writes the files named below into OUTDIR
"""
import os
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LURE_TEXT = "Your account is suspended, verify your password"


def font(size):
    """DejaVu Sans when installed, else Pillow's built-in font."""
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:
        return ImageFont.load_default()


def logo():
    """A brand-like mark: coloured shapes and a word on white, 256 x 128."""
    img = Image.new("RGB", (256, 128), "white")
    d = ImageDraw.Draw(img)
    d.ellipse((8, 14, 108, 114), fill=(200, 30, 40))
    d.rectangle((40, 40, 76, 88), fill="white")
    d.text((120, 42), "ACME", fill=(20, 40, 140), font=font(40))
    return img


def photo(seed):
    """Unrelated pictures: a diagonal gradient with bars, or concentric rings."""
    img = Image.new("RGB", (300, 200), "black")
    px = img.load()
    for y in range(200):
        for x in range(300):
            if seed == 0:
                v = (x + 2 * y) % 256
                px[x, y] = (v, 255 - v, (x // 30) * 25 % 256)
            else:
                r = ((x - 150) ** 2 + (y - 100) ** 2) ** 0.5
                v = 255 if int(r / 12) % 2 else 0
                px[x, y] = (v, v // 2, 255 - v)
    return img


def lure():
    """The lure sentence in black on white, as a screenshot of a mail."""
    img = Image.new("RGB", (900, 160), "white")
    d = ImageDraw.Draw(img)
    d.text((20, 30), LURE_TEXT, fill="black", font=font(30))
    d.text((20, 90), "Click below to keep your bank account", fill="black", font=font(30))
    return img


def main(out):
    os.makedirs(out, exist_ok=True)
    base = logo()
    base.save(os.path.join(out, "logo.png"))
    base.resize((128, 64), Image.LANCZOS).save(os.path.join(out, "logo_small.png"))
    base.resize((400, 200), Image.BICUBIC).save(os.path.join(out, "logo_big.jpg"), quality=60)
    base.convert("P", palette=Image.ADAPTIVE, colors=32).save(os.path.join(out, "logo.gif"))
    base.save(os.path.join(out, "logo.bmp"))
    photo(0).save(os.path.join(out, "other.png"))
    photo(1).save(os.path.join(out, "other2.jpg"), quality=85)
    lure().save(os.path.join(out, "lure.png"))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: gen_images.py OUTDIR\n")
        sys.exit(2)
    main(sys.argv[1])
