"""QR codes where image scanners do not look: PDFs with a qrencode(1) code
as an image on page 1 or on page 3 (past the two pages scanned), and HTML
tables drawing a code cell by cell (bgcolor, style colours, colspan runs),
plus a random table. Run alone it writes them into the directory given
(also the fuzz seeds of tests/fuzz/fuzz_html_qr.c)."""
import io
import os
import random
import sys

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_qr import qr_png  # noqa: E402

A4_100DPI = (827, 1169)


def qr_matrix(text):
    """The code's modules as rows of booleans (True: dark), no quiet zone."""
    img = Image.open(io.BytesIO(qr_png(text, module=1))).convert("RGBA").convert("L")
    w, h = img.size
    px = img.load()
    rows = [[px[x, y] < 128 for x in range(w)] for y in range(h)]
    return [r[4:-4] for r in rows[4:-4]]  # qr_png draws a 4-module margin


def qr_pdf(text, qr_page=1, pages=1):
    """A PDF of A4 pages at 100 dpi with the code (6 px modules) on page
    qr_page (1-based) and a line of grey "text" on every page."""
    code = Image.open(io.BytesIO(qr_png(text, module=6))).convert("RGBA").convert("L")
    imgs = []
    for i in range(pages):
        page = Image.new("L", A4_100DPI, 255)
        page.paste(Image.new("L", (600, 12), 90), (100, 100))
        if i + 1 == qr_page:
            page.paste(code, (100, 200))
        imgs.append(page)
    out = io.BytesIO()
    imgs[0].save(out, "PDF", resolution=100.0, save_all=True, append_images=imgs[1:])
    return out.getvalue()


def qr_table(text, style="bgcolor", matrix=None):
    """The code as an HTML table, one cell per module."""
    m = matrix or qr_matrix(text)
    rows = []
    for r in m:
        cells, x = [], 0
        while x < len(r):
            run = 1
            if style == "colspan":
                while x + run < len(r) and r[x + run] == r[x]:
                    run += 1
            dark = r[x]
            if style == "style":
                cells.append('<td style="width:3px;height:3px;background-color:%s"></td>'
                             % ("#000" if dark else "#fff"))
            elif style == "colspan":
                cells.append('<td colspan="%d" style="background:%s">&nbsp;</td>'
                             % (run, "rgb(0,0,0)" if dark else "white"))
            else:
                cells.append('<td bgcolor="%s" width="3" height="3"></td>'
                             % ("#000000" if dark else "#FFFFFF"))
            x += run
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ('<table cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff">\n'
            + "\n".join(rows) + "\n</table>")


def random_table(side=29, seed=1):
    rnd = random.Random(seed)
    return qr_table("", matrix=[[rnd.random() < 0.5 for _ in range(side)]
                                for _ in range(side)])


def build_all(directory):
    """Writes the PDFs and tables; returns {file name: text or None}."""
    want = {}
    files = {
        "qr_page1.pdf": (qr_pdf("https://qr-pdf.example.net/pay?id=1"),
                         "https://qr-pdf.example.net/pay?id=1"),
        "qr_page3.pdf": (qr_pdf("https://qr-pdf3.example.net/", qr_page=3, pages=3), None),
        "random_table.html": (random_table().encode(), None),
    }
    for style in ("bgcolor", "style", "colspan"):
        text = "https://qr-table-%s.example.net/login" % style
        files["qr_table_%s.html" % style] = (qr_table(text, style).encode(), text)
    for name, (data, text) in files.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
        want[name] = text
    return want


if __name__ == "__main__":
    print(build_all(sys.argv[1] if len(sys.argv) > 1 else "."))
