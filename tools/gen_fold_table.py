#!/usr/bin/env python3
"""Generates the ds_fold lookup tables pasted into core/catalog.c.

Each entry is {n, "s"}: n == 0xFF copies the input character unchanged, otherwise the
character is replaced by the n bytes of s (n == 0 removes it). Replacements are never
longer than the UTF-8 encoding they replace, so ds_fold output never outgrows its input.
"""
import unicodedata

SPECIAL = {
    0x00A0: " ", 0x00AD: "", 0x00AB: '"', 0x00BB: '"', 0x00B4: "'",
    0x00C6: "ae", 0x00E6: "ae", 0x00D0: "d", 0x00F0: "d", 0x00D8: "o", 0x00F8: "o",
    0x00DE: "th", 0x00FE: "th", 0x00DF: "ss", 0x0110: "d", 0x0111: "d", 0x0126: "h",
    0x0127: "h", 0x0131: "i", 0x0138: "k", 0x013F: "l", 0x0140: "l", 0x0141: "l",
    0x0142: "l", 0x0149: "'n", 0x014A: "ng", 0x014B: "ng", 0x0152: "oe", 0x0153: "oe",
    0x0166: "t", 0x0167: "t", 0x017F: "s", 0x0180: "b", 0x0189: "d", 0x0197: "i",
    0x019A: "l", 0x01B5: "z", 0x01B6: "z", 0x01E4: "g", 0x01E5: "g", 0x0243: "b",
    0x0246: "e", 0x0247: "e", 0x0248: "j", 0x0249: "j", 0x024C: "r", 0x024D: "r",
    0x024E: "y", 0x024F: "y", 0x1E9E: "ss",
}

def latin(cp):
    if cp in SPECIAL:
        return SPECIAL[cp]
    d = unicodedata.normalize("NFKD", chr(cp))
    base = "".join(ch for ch in d if ord(ch) < 0x80 and ch.isalpha()).lower()
    if base and len(base) <= len(chr(cp).encode()) and len(base) <= 2:
        return base
    return None

def punct(cp):
    if 0x2000 <= cp <= 0x200A or cp in (0x2028, 0x2029, 0x202F, 0x205F):
        return " "
    if cp in (0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0x202A, 0x202B, 0x202C,
              0x202D, 0x202E):
        return ""
    if 0x2010 <= cp <= 0x2015:
        return "-"
    if cp in (0x2018, 0x2019, 0x201A, 0x201B, 0x2032, 0x2039, 0x203A):
        return "'"
    if cp in (0x201C, 0x201D, 0x201E, 0x201F, 0x2033):
        return '"'
    if cp == 0x2026:
        return "..."
    return None

def cstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

def emit(name, lo, hi, fn):
    print(f"static const ds__fold_ent {name}[0x{hi - lo:X}] = {{")
    row = []
    for cp in range(lo, hi):
        r = fn(cp)
        row.append("{0xFF, \"\"}" if r is None else f"{{{len(r)}, {cstr(r)}}}")
        if len(row) == 8:
            print("    " + ", ".join(row) + f",  /* U+{cp - 7:04X} */")
            row = []
    assert not row
    print("};")

emit("ds__fold_latin", 0x80, 0x250, latin)
emit("ds__fold_latin_ext", 0x1E00, 0x1F00, latin)
emit("ds__fold_punct", 0x2000, 0x2070, punct)
