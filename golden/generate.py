#!/usr/bin/env python3
"""Generates golden/pcs-extra-vectors.json: more interoperability vectors than the reference set.

The canonical form below is the reference agent's rule as DESIGN section 2.1 states it (Decimal
quantize of str(x), then json.dumps with sort_keys and compact separators), re-typed here, not
copied. The section 2.3 math is written again in Python too, so the expected statuses do not come
from the TypeScript under test. Output is deterministic: same script, same file.

Run: python3 golden/generate.py            (needs the `cryptography` package for Ed25519)
"""

import base64
import hashlib
import hmac
import json
import math
import random
import struct
import sys
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

OUT = Path(__file__).resolve().parent / "pcs-extra-vectors.json"
HMAC_KEY = "flk-extra-vectors-hmac-key-0001"
ED25519_SEED = bytes(range(32, 64))
L = 2**252 + 27742317777372353535851937790883648493

# Section 2.3 defaults.
TOL_D, TOL_COH, ALPHA, BETA, GAMMA, BASE, D0 = 0.15, 0.05, 0.30, 0.50, 0.20, 0.10, 2.2


# ---------------------------------------------------------------- reference canonical form


def quantize(x):
    """float(Decimal(str(x)).quantize(1e-9, ROUND_HALF_UP)); None where Python refuses."""
    try:
        return float(Decimal(str(x)).quantize(Decimal("1e-9"), ROUND_HALF_UP))
    except InvalidOperation:
        return None


def canonical_payload(rec):
    body = {k: rec[k] for k in ("pcs_id", "merkle_root", "epoch", "shard_id")}
    for k in ("D_hat", "coh_star", "r", "budget"):
        body[k] = quantize(rec[k])
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("ascii")


def pcs_id(merkle_root, epoch, shard_id):
    return hashlib.sha256(f"{merkle_root}|{epoch}|{shard_id}".encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- schemes

ED_KEY = Ed25519PrivateKey.from_private_bytes(ED25519_SEED)
ED_PUB = ED_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(scheme, payload):
    key = HMAC_KEY.encode("utf-8")
    if scheme == "hmac-digest":
        return hmac.new(key, hashlib.sha256(payload).digest(), hashlib.sha256).digest()
    if scheme == "hmac-payload":
        return hmac.new(key, payload, hashlib.sha256).digest()
    return ED_KEY.sign(hashlib.sha256(payload).digest())


# ---------------------------------------------------------------- section 2.3, independently


def recompute_dhat(scales, counts):
    points = []
    for s in scales:
        n = counts.get(str(s))
        if s <= 0 or n is None or n <= 0:
            return None
        points.append((math.log2(s), math.log2(n)))
    slopes = sorted(
        (y2 - y1) / (x2 - x1)
        for i, (x1, y1) in enumerate(points)
        for (x2, y2) in points[i + 1 :]
        if abs(x2 - x1) >= 1e-9
    )
    return slopes[len(slopes) // 2] if slopes else None


def regime_of(d, coh):
    if coh >= 0.70 and d <= 1.5:
        return "sticky"
    return "non_sticky" if d >= 2.6 else "mixed"


def budget_of(d, coh, r):
    raw = BASE + ALPHA * (1 - r) + BETA * max(0.0, d - D0) + GAMMA * coh
    return min(1.0, max(0.0, raw))


def expected_status(rec):
    structure_ok = (
        rec["schema"] == "fractal-lba-kakeya"
        and rec["version"] == "0.1"
        and rec["shard_id"] != ""
        and rec["epoch"] >= 0
        and len(rec["scales"]) > 0
        and rec["merkle_root"] != ""
        and rec["pcs_id"] == pcs_id(rec["merkle_root"], rec["epoch"], rec["shard_id"])
    )
    d = recompute_dhat(rec["scales"], rec["N_j"]) if structure_ok else None
    if d is None or abs(rec["D_hat"] - d) > TOL_D or not 0 <= rec["coh_star"] <= 1 + TOL_COH:
        return 202
    if rec["regime"] != regime_of(rec["D_hat"], rec["coh_star"]):
        return 202
    if abs(rec["budget"] - budget_of(rec["D_hat"], rec["coh_star"], rec["r"])) > 0.01:
        return 202
    return 200


# ---------------------------------------------------------------- record text with raw tokens


class Raw:
    """A number written into the record text exactly as given (e.g. "-0", "3.0")."""

    def __init__(self, token):
        self.token = token


def dump(value):
    if isinstance(value, Raw):
        return value.token
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dump(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value)  # ensure_ascii keeps the file ASCII; escapes carry any Unicode


def base_record(shard, epoch, **over):
    merkle = hashlib.sha256(f"extra|{shard}|{epoch}".encode("utf-8")).hexdigest()
    rec = {
        "pcs_id": None,
        "schema": "fractal-lba-kakeya",
        "version": "0.1",
        "shard_id": shard,
        "epoch": epoch,
        "attempt": 1,
        "sent_at": "2026-12-01T08:00:00Z",
        "seed": 11,
        "scales": [2, 4, 8],
        "N_j": {"2": 3, "4": 7, "8": 15},
        "coh_star": 0.5,
        "v_star": [0.1, 0.2, 0.97],
        "D_hat": 1.160964047,
        "r": 0.5,
        "regime": "mixed",
        "budget": 0.35,
        "merkle_root": merkle,
        "sig": "",
        "ft": {"outbox_seq": 1, "degraded": False, "fallbacks": [], "clock_skew_ms": 0},
    }
    rec.update(over)
    if rec["pcs_id"] is None:
        rec["pcs_id"] = pcs_id(rec["merkle_root"], rec["epoch"], rec["shard_id"])
    return rec


def consistent(shard, epoch, **over):
    """A record whose claimed regime and budget follow from its D_hat, coh_star and r."""
    rec = base_record(shard, epoch, **over)
    if "regime" not in over:
        rec["regime"] = regime_of(value_of(rec["D_hat"]), value_of(rec["coh_star"]))
    if "budget" not in over:
        b = budget_of(value_of(rec["D_hat"]), value_of(rec["coh_star"]), value_of(rec["r"]))
        rec["budget"] = quantize(b)
    return rec


def value_of(v):
    return json.loads(v.token) if isinstance(v, Raw) else v


# ---------------------------------------------------------------- the record cases

# (name, record, note). Scheme-independent; each is signed with all three schemes.
CASES = []


def case(name, rec, note):
    CASES.append((name, rec, note))


case("tie-coh-up", consistent("x-tie-coh", 1, coh_star=0.1234567895), "coh_star 9th-decimal tie rounds up")
case("tie-coh-neg", consistent("x-tie-neg", 2, coh_star=0.5, r=-0.0000000025), "r -2.5e-9 rounds away to -3e-09")
case("tie-dhat", consistent("x-tie-dhat", 3, D_hat=1.1609640475), "D_hat tie 1.1609640475 -> 1.160964048")
case("tie-budget", consistent("x-tie-budget", 4, budget=0.3500000005), "budget tie -> 0.350000001")
case("below-tie", consistent("x-below-tie", 5, coh_star=0.12345678949999), "just below a tie rounds down")
case("r-1e-05", consistent("x-r-1e-05", 6, r=0.00001), "exponent form starts below 1e-4")
case("r-1e-04", consistent("x-r-1e-04", 7, r=0.0001), "0.0001 stays fixed")
case("r-9.9999e-05", consistent("x-r-9.9999e-05", 8, r=0.000099999), "9.9999e-05")
case("r-rounds-to-1e-09", consistent("x-r-1e-09", 9, r=0.0000000005), "5e-10 ties up to 1e-09")
case("r-rounds-to-zero", consistent("x-r-0", 10, r=0.0000000004), "4e-10 rounds to 0.0")
case("neg-zero-dhat", consistent("x-negzero", 11, scales=[2, 4], N_j={"2": 5, "4": 5}, D_hat=-1e-10),
     "D_hat -1e-10 rounds to -0.0; recomputed D_hat is 0")
case("neg-zero-token", consistent("x-negzero-token", 12, scales=[2, 4], N_j={"2": 5, "4": 5}, D_hat=Raw("-0.0")),
     "a -0.0 token prints -0.0")
case("int-zero-token", consistent("x-int-zero", 13, scales=[2, 4], N_j={"2": 5, "4": 5}, D_hat=Raw("-0")),
     "an integer -0 token is the int 0 in Python: prints 0.0")
case("int-token-float", consistent("x-int-token", 14, scales=[2, 4], N_j={"2": 2, "4": 4}, D_hat=Raw("1"), coh_star=Raw("1")),
     "integer tokens in float fields print as 1.0")
case("exp-token", consistent("x-exp-token", 15, coh_star=Raw("5E-1"), r=Raw("2.5e-1")), "exponent tokens in float fields")
case("budget-1e16", base_record("x-budget-1e16", 16, budget=1e16), "budget 1e16 prints 1e+16 (escalated: off)")
case("budget-below-1e16", base_record("x-budget-below", 17, budget=9999999999999998.0), "9999999999999998.0 stays fixed")
case("budget-1.5e16", base_record("x-budget-1.5e16", 18, budget=1.5e16), "1.5e+16")
case("budget-1.2e17", base_record("x-budget-1.2e17", 19, budget=123456789012345680.0), "1.2345678901234568e+17")
case("dhat-near-1e19", base_record("x-dhat-huge", 20, D_hat=9999999999999997952.0), "largest double Python can quantize")
case("budget-subnormal", base_record("x-subnormal", 21, budget=5e-324), "5e-324 rounds to 0.0 (escalated: off)")
case("coh-1e-07", consistent("x-coh-tiny", 22, coh_star=1e-7), "coh_star 1e-07")
case("coh-neg-tiny", base_record("x-coh-neg", 23, coh_star=-1e-10), "coh_star -1e-10 -> -0.0, out of range (202)")
case("coh-above-range", consistent("x-coh-high", 24, coh_star=1.06), "coh_star above 1 + tolCoh (202)")
case("coh-at-range", consistent("x-coh-edge", 25, coh_star=1.05), "coh_star exactly 1 + tolCoh (200)")
case("many-digits", consistent("x-digits", 26, coh_star=0.30000000000000004, r=0.1 + 0.2), "17-digit reprs")

for i, shard in enumerate([
    "shard-\u00fc-\u00df", "\u65e5\u672c\u8a9e-\u30b7\u30e3\u30fc\u30c9", "rocket-\U0001F680", "flag-\U0001F1FA\U0001F1F8",
    "q\"uote\\back/slash", "tab\tnl\ncr\r", "ctl-\x00\x01\x1f\x7f", "sep-\u2028\u2029", "bom-\ufeff",
    "max-bmp-\uffff", "astral-max-\U0010FFFF", "combining-e\u0301", "rtl-\u05e9\u05dc\u05d5\u05dd", " ",
]):
    case(f"shard-{i:02d}", consistent(shard, 100 + i), f"shard_id {shard!r}")

for name, epoch, note in [
    ("epoch-zero", 0, "epoch 0"),
    ("epoch-2^53-1", 2**53 - 1, "largest safe integer"),
    ("epoch-2^53", 2**53, "2^53"),
    ("epoch-2^53+1", 2**53 + 1, "2^53 + 1: a double cannot hold it, bigint can"),
    ("epoch-2^63-1", 2**63 - 1, "largest signed 64-bit epoch"),
    ("epoch-negative", -1, "epoch -1: typed fine, structure fails (202)"),
]:
    case(name, consistent(f"x-{name}", epoch), note)

case("regime-unknown", consistent("x-regime", 30, regime="turbulent"), "regime outside the three names: mismatch (202)")
case("schema-wrong", consistent("x-schema", 31, schema="other"), "schema value wrong: structure (202)")
case("pcs-id-wrong", consistent("x-pcsid", 32, pcs_id="0" * 64), "pcs_id not the recomputed one (202)")
case("scale-zero", consistent("x-scale0", 33, scales=[0, 2, 4], N_j={"0": 1, "2": 3, "4": 7}), "non-positive scale (202)")
case("count-zero", consistent("x-count0", 34, N_j={"2": 3, "4": 0, "8": 15}), "non-positive N_j (202)")
case("dup-scales", consistent("x-dupscale", 35, scales=[2, 2, 4, 8], N_j={"2": 3, "4": 7, "8": 15}), "repeated scale: dx=0 pairs skipped")
case("no-ft", {k: v for k, v in consistent("x-noft", 36).items() if k != "ft"}, "ft absent")
case("ft-null", consistent("x-ftnull", 37, ft=None), "ft null counts as absent")
case("extra-fields", dict(consistent("x-extra", 38), agent="py-0.1", meta={"a": [1, 2.5e300]}), "unknown fields ignored")

# Bodies our parser refuses (400) though some are valid JSON; no signature needed.
REFUSED = []


def refused(name, body, code, field, note):
    REFUSED.append((name, body, code, field, note))


def body_of(rec, **over):
    rec = dict(rec, **over)
    rec["sig"] = base64.b64encode(bytes(32)).decode()
    return dump(rec)


_r = consistent("x-refused", 40)
refused("dhat-1e19", body_of(_r, D_hat=1e19), "invalid_field", "D_hat", "Python cannot quantize |x| >= 1e19")
refused("epoch-2^63", body_of(_r, epoch=2**63), "unsafe_number", "epoch", "beyond signed 64-bit")
refused("epoch-float", body_of(_r, epoch=Raw("3.0")), "invalid_field", "epoch", "3.0 is not an integer token")
refused("epoch-exp", body_of(_r, epoch=Raw("1e3")), "invalid_field", "epoch", "1e3 is not an integer token")
refused("seed-unsafe", body_of(_r, seed=2**53 + 1), "unsafe_number", "seed", "a double cannot hold it")
refused("coh-18-digits", body_of(_r, coh_star=Raw("0.123456789012345678")), "unsafe_number", "coh_star", "18 significant digits")
refused("coh-overflow", body_of(_r, coh_star=Raw("1e400")), "unsafe_number", "coh_star", "overflows a double")
refused("coh-underflow", body_of(_r, coh_star=Raw("1e-400")), "unsafe_number", "coh_star", "underflows to 0")
refused("coh-string", body_of(_r, coh_star="0.5"), "invalid_field", "coh_star", "a string for a number")
refused("nj-fraction", body_of(_r, N_j={"2": 3, "4": Raw("7.5"), "8": 15}), "invalid_field", "N_j.4", "a fraction count")
refused("sent-at-bad", body_of(_r, sent_at="yesterday"), "invalid_field", "sent_at", "not RFC 3339")
refused("missing-sig", dump({k: v for k, v in _r.items() if k != "sig"}), "missing_field", "sig", "no sig")
refused("dup-key", body_of(_r)[:-1] + ',"epoch":40}', "duplicate_key", "epoch", "epoch twice")
refused("dup-key-same", body_of(_r)[:-1] + ',"schema":"fractal-lba-kakeya"}', "duplicate_key", "schema", "same value twice")
refused("dup-key-nested", body_of(_r, ft=Raw('{"outbox_seq":1,"outbox_seq":1,"degraded":false,"fallbacks":[],"clock_skew_ms":0}')),
        "duplicate_key", "ft.outbox_seq", "duplicate inside ft")
refused("proto-key", body_of(_r)[:-1] + ',"__proto__":{"x":1}}', "forbidden_key", "__proto__", "prototype key")
refused("proto-nested", body_of(_r)[:-1] + ',"meta":{"constructor":{}}}', "forbidden_key", "meta.constructor", "nested")
refused("lone-surrogate", body_of(_r).replace('"x-refused"', '"x-\\ud800"'), "invalid_field", "shard_id", "no UTF-8 form")
refused("not-object", "[1,2]", "invalid_json", None, "top level is an array")
refused("trailing", body_of(_r) + " {}", "invalid_json", None, "data after the object")
refused("empty", "", "empty_body", None, "nothing")


# ---------------------------------------------------------------- signature-encoding cases


def sig_variants(sig):
    """Signatures that decode leniently to the right bytes (or nearly) but must be refused."""
    b64 = base64.b64encode(sig).decode()
    out = [
        ("urlsafe", base64.urlsafe_b64encode(sig).decode()),
        ("unpadded", b64.rstrip("=")),
        ("whitespace", b64[:8] + " " + b64[8:]),
        ("short", base64.b64encode(sig[:-1]).decode()),
        ("long", base64.b64encode(sig + b"\0").decode()),
        ("empty", ""),
    ]
    if b64.endswith("="):
        # Same bytes, but the unused low bits of the last character are not zero.
        last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        i = b64.rstrip("=")
        idx = last.index(i[-1])
        out.append(("nonzero-pad-bits", i[:-1] + last[idx | 1] + b64[len(i):]))
    if len(sig) == 64:
        s = int.from_bytes(sig[32:], "little") + L
        out.append(("s-plus-l", base64.b64encode(sig[:32] + s.to_bytes(32, "little")).decode()))
    return [(n, v) for n, v in out if v != b64]


# ---------------------------------------------------------------- numbers and strings


def number_cases():
    rng = random.Random(20261204)
    xs = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1e16, 1e-5, 1e-4, 1e-9, 5e-10, -5e-10, 4.999999999e-10,
          1e19, -1e19, 9999999999999997952.0, 1e18, 1e22, 1e300, 5e-324, 2.2250738585072014e-308,
          1.7976931348623157e308, 0.5093149315, -1.0000000005, 2.5e-9, 123456789.12345679,
          0.30000000000000004, 1234567890123456.7, 9007199254740993.0, 0.000123456789,
          -109180660099998.12]
    xs += [math.nextafter(1e16, 0), math.nextafter(1e16, math.inf), math.nextafter(1e-4, 0),
           math.nextafter(1e-4, 1), math.nextafter(1e-5, 0), math.nextafter(1e19, 0)]
    for e in range(-12, 22):
        for m in (1, 5, 9, 1.5, 2.5, 9.999):
            xs += [m * 10.0**e, -m * 10.0**e]
    for _ in range(600):  # exact ties at the 9th decimal, either sign, varied magnitudes
        digits = rng.randrange(0, 10**rng.randrange(1, 10))
        frac = f"{rng.randrange(0, 10**8):08d}"
        xs.append(float(f"{'-' if rng.random() < 0.5 else ''}{digits}.{frac}{rng.randrange(10)}5"))
    for _ in range(800):  # short decimals of every length
        xs.append(round(rng.uniform(-100, 100), rng.randrange(0, 15)))
    for _ in range(800):  # random bit patterns: every exponent
        x = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if math.isfinite(x):
            xs.append(x)
    for _ in range(400):  # small magnitudes around the exponent thresholds
        xs.append(rng.uniform(-1, 1) * 10.0 ** rng.randrange(-12, -2))
    seen, out = set(), []
    for x in xs:
        key = struct.pack("<d", x)
        if key not in seen:
            seen.add(key)
            q = quantize(x)
            out.append({"x": repr(x), "q": None if q is None else repr(q)})
    return out


def units_to_str(units):
    return b"".join(u.to_bytes(2, "little") for u in units).decode("utf-16-le", "surrogatepass")


def string_cases():
    rng = random.Random(42)
    singles = list(range(0, 0x100)) + [0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF, 0xD800, 0xDBFF, 0xDC00, 0xDFFF]
    cases = [[u] for u in singles]
    cases += [[0xD83D, 0xDE80], [0xDBFF, 0xDFFF], [0xDC00, 0xD800], [0xD800, 0x41], [0x41, 0xDC00], []]
    pools = [range(0x20, 0x7F), range(0, 0x20), range(0x80, 0x800), range(0x800, 0x10000), range(0xD800, 0xE000)]
    for _ in range(400):
        units = []
        for _ in range(rng.randrange(0, 16)):
            units.append(rng.choice(rng.choice(pools)))
        cases.append(units)
    return [{"units": u, "json": json.dumps(units_to_str(u))} for u in cases]


# ---------------------------------------------------------------- assemble


def main():
    vectors = []
    for name, rec, note in CASES:
        parsed = json.loads(dump(rec))  # what a Python verifier would hold after json.loads
        payload = canonical_payload(parsed)
        status = expected_status(parsed)
        for scheme in ("hmac-digest", "hmac-payload", "ed25519"):
            sig = sign(scheme, payload)
            signed = dict(rec, sig=base64.b64encode(sig).decode())
            vectors.append({"name": name, "scheme": scheme, "expect": status, "note": note,
                            "payload": payload.decode("ascii"), "body": dump(signed)})
            tampered = dict(signed, coh_star=value_of(rec["coh_star"]) + 0.01)
            vectors.append({"name": f"{name}/tampered", "scheme": scheme, "expect": 401,
                            "note": "coh_star moved by 0.01 after signing", "body": dump(tampered)})
    # Changes below the 9th decimal leave the payload, and so the signature, unchanged.
    rec = consistent("x-subquantum", 50)
    payload = canonical_payload(json.loads(dump(rec)))
    for scheme in ("hmac-digest", "hmac-payload", "ed25519"):
        sig = sign(scheme, payload)
        moved = dict(rec, sig=base64.b64encode(sig).decode(), coh_star=rec["coh_star"] + 1e-12)
        assert canonical_payload(json.loads(dump(moved))) == payload
        vectors.append({"name": "sub-quantum-change", "scheme": scheme, "expect": expected_status(json.loads(dump(moved))),
                        "note": "coh_star moved by 1e-12 after signing: same payload, still valid",
                        "payload": payload.decode("ascii"), "body": dump(moved)})
        for variant, bad in sig_variants(sig):
            vectors.append({"name": f"sig-{variant}", "scheme": scheme, "expect": 401,
                            "note": "signature encoding must be strict", "body": dump(dict(rec, sig=bad))})
    for name, body, code, field, note in REFUSED:
        vectors.append({"name": name, "scheme": "any", "expect": 400, "error_code": code,
                        "error_field": field, "note": note, "body": body})

    doc = {
        "about": "Generated by golden/generate.py; see golden/README.md. Do not edit by hand.",
        "hmac_key": HMAC_KEY,
        "ed25519_seed_b64": base64.b64encode(ED25519_SEED).decode(),
        "ed25519_pub_b64": base64.b64encode(ED_PUB).decode(),
        "vectors": vectors,
        "numbers": number_cases(),
        "strings": string_cases(),
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="ascii")
    print(f"wrote {OUT.name}: {len(vectors)} vectors, {len(doc['numbers'])} numbers, "
          f"{len(doc['strings'])} strings", file=sys.stderr)


if __name__ == "__main__":
    main()
