"""QR code test images: qrencode(1) draws a code as PNG, Pillow converts it
to JPEG, GIF and BMP; plus images without a code (a gradient "photo" and a
flat "logo"). Used by tests/e2e/test_qr.py; run alone it writes the images
into the directory given (also the fuzz seeds of tests/fuzz/fuzz_image.c)."""
import io
import subprocess
import sys

from PIL import Image, ImageDraw


def qr_png(text, module=4):
    """The PNG qrencode makes for text (module pixels per module)."""
    return subprocess.run(["qrencode", "-o", "-", "-t", "PNG", "-s", str(module), "-m", "4",
                           text], check=True, capture_output=True).stdout


def convert(png, fmt, **kw):
    """png re-encoded as fmt ("JPEG", "GIF", "BMP", "PNG")."""
    img = Image.open(io.BytesIO(png))
    img = img.convert("RGBA").convert("L")
    if fmt == "GIF":
        img = img.convert("P")
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return out.getvalue()


def qr_image(text, fmt, module=4):
    png = qr_png(text, module)
    return png if fmt == "PNG" else convert(png, fmt)


def photo(fmt="JPEG", w=320, h=200):
    """A gradient with shapes: an image with no QR code."""
    img = Image.new("RGB", (w, h))
    px = img.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = (x * 255 // w, y * 255 // h, (x + y) % 256)
    d = ImageDraw.Draw(img)
    d.ellipse((40, 30, 140, 130), fill=(250, 200, 40))
    d.rectangle((180, 60, 300, 180), outline=(0, 0, 0), width=6)
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def build_all(directory):
    """Writes one QR image per format and the photos; returns
    {file name: text or None}."""
    want = {}
    for fmt, ext in (("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("BMP", "bmp")):
        text = "https://qr-%s.example.net/login?id=1" % ext
        want["qr." + ext] = text
        with open("%s/qr.%s" % (directory, ext), "wb") as f:
            f.write(qr_image(text, fmt))
    for fmt, ext in (("JPEG", "jpg"), ("PNG", "png")):
        want["photo." + ext] = None
        with open("%s/photo.%s" % (directory, ext), "wb") as f:
            f.write(photo(fmt))
    return want


if __name__ == "__main__":
    print(build_all(sys.argv[1] if len(sys.argv) > 1 else "."))
