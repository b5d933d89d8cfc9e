"""Rebuild the two certificate fonts from Noto Serif CJK SC (see README.md in this folder).

Not used at run time. Needs `fonttools` (any recent version) and three Debian packages' files:

    apt-get download fonts-noto-cjk unicode-data
    dpkg-deb -x fonts-noto-cjk_*.deb /tmp/noto && dpkg-deb -x unicode-data_*.deb /tmp/noto
    python certificates/fonts/build_fonts.py /tmp/noto

reportlab embeds only TrueType (glyf) outlines, and Noto CJK ships CFF outlines, so each glyph is converted
to quadratic curves (cu2qu, error ≤ 1 unit of 1000 per em, invisible at any print size).
"""

from __future__ import annotations

import bz2
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from certificates.wording import bold_strings  # noqa: E402

FAMILY = "Ledger Serif SC"
SOURCE_FACE = "Noto Serif CJK SC"
MAX_ERR = 1.0

LATIN_AND_PUNCTUATION = [
    range(0x20, 0x7F),  # ASCII
    range(0xA0, 0x180),  # Latin-1 (Uyghur Latin é ö ü) and Latin Extended-A, as far as the source has it
    range(0x2010, 0x205F),  # general punctuation, incl. the look-alike dots of §2.5
    range(0x3000, 0x3040),  # CJK symbols and punctuation
    range(0x30FB, 0x30FC),  # katakana middle dot, a look-alike of U+00B7
    range(0xFF01, 0xFF5F),  # full-width forms
    range(0xFFE0, 0xFFE7),
]
CJK_UNIFIED = range(0x4E00, 0xA000)


def standard_chinese_characters(unicode_dir: Path) -> set[int]:
    """通用规范汉字表 (2013, 8,105 characters), from Unihan's kTGH field: it reaches into Extensions A–F."""
    path = unicode_dir / "Unihan_OtherMappings.txt.bz2"
    out = set()
    with bz2.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            fields = line.split("\t")
            if len(fields) >= 2 and fields[1] == "kTGH":
                out.add(int(fields[0][2:], 16))
    if len(out) != 8105:
        raise SystemExit(f"expected 8105 kTGH characters, found {len(out)}")
    return out


def face(collection: Path, name: str) -> TTFont:
    index = 0
    while True:
        font = TTFont(collection, fontNumber=index, lazy=False, recalcTimestamp=False)
        if font["name"].getDebugName(4) == name:
            return font
        index += 1


def keep_only(font: TTFont, codepoints: set[int]) -> None:
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.glyph_names = False
    options.name_IDs = [0, 13, 14]
    options.drop_tables += ["VORG", "vhea", "vmtx", "BASE", "GSUB", "GPOS", "GDEF", "DSIG", "meta"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)


def to_truetype_outlines(font: TTFont) -> None:
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    del font["CFF "]
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attribute in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attribute, 0)
    maxp.maxZones = 1
    font["post"].formatType = 3.0
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont, style: str) -> None:
    """A modified OFL font takes a new name (OFL §3); copyright and licence records stay."""
    name = font["name"]
    postscript = f"{FAMILY.replace(' ', '')}-{style}"
    records = {
        1: FAMILY,
        2: style,
        3: f"{postscript};derived from {SOURCE_FACE}",
        4: f"{FAMILY} {style}",
        5: "Version 2.001; Skills Ledger subset",
        6: postscript,
    }
    for name_id, text in records.items():
        name.setName(text, name_id, 3, 1, 0x409)
    name.names = [record for record in name.names if record.platformID == 3]


def build(source_dir: Path) -> None:
    noto = source_dir / "usr/share/fonts/opentype/noto"
    unicode_dir = source_dir / "usr/share/unicode"
    latin = {cp for block in LATIN_AND_PUNCTUATION for cp in block}
    regular_cover = latin | set(CJK_UNIFIED) | standard_chinese_characters(unicode_dir)
    bold_cover = latin | {ord(ch) for text in bold_strings() for ch in text}
    for style, collection, cover in (
        ("Regular", noto / "NotoSerifCJK-Regular.ttc", regular_cover),
        ("Bold", noto / "NotoSerifCJK-Bold.ttc", bold_cover),
    ):
        font = face(collection, f"{SOURCE_FACE}" if style == "Regular" else f"{SOURCE_FACE} Bold")
        missing = sorted(cp for cp in cover if cp not in font.getBestCmap())
        keep_only(font, cover)
        to_truetype_outlines(font)
        rename(font, style)
        target = HERE / f"{FAMILY.replace(' ', '')}-{style}.ttf"
        font.save(target)
        print(f"{target.name}: {len(font.getGlyphOrder())} glyphs, {target.stat().st_size / 1e6:.2f} MB")
        cjk_missing = [f"U+{cp:04X}" for cp in missing if cp >= 0x3400]
        print(f"  requested CJK characters the source lacks: {len(cjk_missing)} {' '.join(cjk_missing[:20])}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    build(Path(sys.argv[1]))
