#!/usr/bin/env python3
"""Writes the bad-input corpus: one file of raw message bytes per kind of
malformed input (see README.md in this directory for the table the test
reads). Run it from anywhere; it writes next to itself. The files are
committed, so the test does not need Python; rerun this after a schema change
(the fingerprints below are CRC-64-AVRO of the Parsing Canonical Forms, and
test_badinput checks them against the codec)."""
import os
import struct

ARTICLE_FP = 0x53E564389F303DB3
DEAL_FP = 0xD1C6E666F0791E55
MENTION_FP = 0x0D948F6A630ECEF9
HERE = os.path.dirname(os.path.abspath(__file__))


def varint(n):
    z = (n << 1) ^ (n >> 63)  # zigzag, as Avro's long
    z &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def string(s):
    b = s.encode() if isinstance(s, str) else s
    return varint(len(b)) + b


def null():
    return varint(0)


def some(b):
    return varint(1) + b


def header(fp):
    return b"\xc3\x01" + struct.pack("<Q", fp)


BODY = ("The ministry said on Monday that talks with several suppliers continue. "
        "No contract has been signed and no value was given.")


def article(article_id="bad-article", body=BODY, title=None, language="en", body_raw=None,
            published=1754116200000):
    rec = string(article_id)
    rec += some(varint(published))               # published
    rec += some(string("Example Wire"))          # outlet
    rec += null()                                # url
    rec += some(string(title)) if title else null()
    rec += string(body_raw) if body_raw is not None else string(body)
    rec += string(language)
    return rec


def deal(source_id="bad-deal", buyer="POL", system="K9A1", stage=5, status=1, seller_branch=None,
         currency="USD", quantity=54, amount=100000000000, reported=1720602000000, signing_date=None):
    rec = string(source_id) + string("procurement-feed") + varint(reported)
    rec += string(buyer)
    rec += some(string("KOR")) if seller_branch is None else varint(seller_branch) + string("KOR")
    rec += null()                                # supplier
    rec += string(system)
    rec += some(varint(quantity))
    rec += some(string(amount.to_bytes(6, "big", signed=True)) + string(currency))
    rec += varint(stage) + varint(status)
    rec += null() if signing_date is None else some(varint(signing_date))
    rec += null() + null() + null()              # place batch parent_ref
    return rec


def files():
    a = header(ARTICLE_FP)
    d = header(DEAL_FP)
    good = a + article()
    yield "article-bad-magic.bin", b"\x01\x02not avro at all"
    yield "article-unknown-fingerprint.bin", header(0x1122334455667788) + article()
    yield "article-wrong-schema.bin", header(MENTION_FP) + article()
    yield "article-unknown-schema-id.bin", b"\x00" + struct.pack(">i", 424242) + article()
    yield "article-truncated-header.bin", b"\xc3\x01\xb3\x3d\x30"
    yield "article-truncated-confluent-header.bin", b"\x00\x00\x01"
    yield "article-truncated-body.bin", good[: len(good) - 40]
    yield "article-corrupt-varint.bin", a + b"\xff" * 11 + article()[1:]
    yield "article-negative-length.bin", a + varint(-5) + b"abcdef"
    yield "article-trailing-bytes.bin", good + b"\x00\x01\x02"
    yield "article-bad-utf8.bin", a + article(body_raw=BODY.encode()[:20] + b"\xc3\x28\xff" + BODY.encode()[20:])
    yield "article-overlong-utf8.bin", a + article(title=None, body_raw=b"\xc0\xaf" + BODY.encode())
    yield "article-nul-in-string.bin", a + article(article_id="bad\x00id")
    yield "article-empty.bin", b""
    yield "article-empty-id.bin", a + article(article_id="")
    yield "article-empty-body.bin", a + article(body="")
    yield "article-union-index.bin", a + string("bad-union") + varint(7) + b"\x00" * 16
    yield "article-huge-string.bin", a + varint(1 << 40) + b"x" * 8
    # over --max-message-bytes 8192, which the test passes: valid Avro otherwise
    yield "article-oversized.bin", a + article(article_id="bad-oversized", body=(BODY + " ") * 80)
    yield "deal-enum-index.bin", d + deal(stage=42)
    yield "deal-negative-enum-index.bin", d + deal(status=-1)
    yield "deal-union-index.bin", d + deal(seller_branch=5)
    yield "deal-unknown-country.bin", d + deal(buyer="XXX")
    yield "deal-unknown-system.bin", d + deal(system="DEATH-STAR")
    yield "deal-empty-source-id.bin", d + deal(source_id="")
    yield "deal-bad-currency.bin", d + deal(currency="DOLLARS")
    yield "deal-article-bytes.bin", good
    # validation gaps: each its own class
    yield "deal-lowercase-currency.bin", d + deal(currency="usd")
    yield "deal-unknown-currency.bin", d + deal(currency="XYZ")
    yield "deal-gold-currency.bin", d + deal(currency="XAU")
    yield "deal-negative-amount.bin", d + deal(amount=-100000000000)
    yield "deal-zero-quantity.bin", d + deal(quantity=0)
    yield "deal-negative-quantity.bin", d + deal(quantity=-5)
    yield "article-long-id.bin", a + article(article_id="a" * 128)
    yield "deal-long-source-id.bin", d + deal(source_id="s" * 200)
    # over --max-body-bytes 4096, which the test passes, and under 8192 bytes
    yield "article-long-body.bin", a + article(article_id="bad-long-body", body=(BODY + " ") * 40)
    yield "article-bad-utf8-title.bin", a + article(title="Warsaw \udcff".encode("utf-8", "surrogateescape"))
    # times outside years 1 .. 9999, before any arithmetic
    yield "article-published-extreme.bin", a + article(published=-185542587100800000)
    yield "article-published-max.bin", a + article(published=(1 << 63) - 1)
    yield "article-published-year-zero.bin", a + article(published=-62135596800001)
    yield "deal-reported-min.bin", d + deal(reported=-(1 << 63) + 1)
    yield "deal-signing-date-max.bin", d + deal(signing_date=(1 << 31) - 1)
    yield "deal-signing-date-year-10000.bin", d + deal(signing_date=2932897)


def main():
    for name, data in files():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
