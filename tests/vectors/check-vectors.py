#!/usr/bin/env python3
"""check-vectors.py DIR - checks the published test vectors without setm's code.

Python's hashlib and hmac and the openssl command only, as another
implementation would use the vectors (testdata/vectors/README.md):

- keys.json: Ed25519 and X25519 public keys from the seeds (openssl), the
  participant ids, the X25519 private keys (HKDF-SHA256), the signatures of
  the empty message; RFC 8032's TEST 1 against the RFC's own values.
- records.json: each field's bytes re-encoded from the record's JSON form by
  its encoding, the bytes adding up to the canonical bytes, the domain tag
  and chain id, id = SHA-256, the signature (openssl), and for the kinds
  testdata/fixtures/sign-record.py knows, its own canonical bytes.
- blocks.json: each header parsed from its 80 bytes, hash = SHA-256d,
  links, proof of work, leaf hashes and RFC 6962 merkle roots from the
  records' ids.
- merkle.json: every tree recomputed.
- market.json: every trade against the market's rules (limits, fees,
  `from`, no self-trade, energy conserved, amounts), pay-as-bid and
  pay-as-clear prices, negotiate's rounds and price recomputed, and no
  pair of leftovers that pay-as-* could still have traded.
"""
import base64
import calendar
import hashlib
import hmac
import importlib.util
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

ROLES = {"producer": 1, "consumer": 2, "agent": 4, "operator": 8}
RFC8032_TEST1 = {
    "ed25519": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    "sig": "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
           "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
}

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)


def sha256(b):
    return hashlib.sha256(b).digest()


# ---- openssl -------------------------------------------------------------------

def pem(kind, der):
    return (f"-----BEGIN {kind}-----\n" + base64.b64encode(der).decode() +
            f"\n-----END {kind}-----\n")


def openssl_public(tmp, prefix_hex, private):
    """The raw public key of a raw private key (Ed25519 or X25519) by openssl."""
    path = os.path.join(tmp, "k.pem")
    with open(path, "w") as f:
        f.write(pem("PRIVATE KEY", bytes.fromhex(prefix_hex) + private))
    der = subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return der[-32:]


def ed25519_public(tmp, seed):
    return openssl_public(tmp, "302e020100300506032b657004220420", seed)


def x25519_public(tmp, private):
    return openssl_public(tmp, "302e020100300506032b656e04220420", private)


def ed25519_verifies(tmp, public, msg, sig):
    key = os.path.join(tmp, "pub.pem")
    with open(key, "w") as f:
        f.write(pem("PUBLIC KEY", bytes.fromhex("302a300506032b6570032100") + public))
    m, s = os.path.join(tmp, "m.bin"), os.path.join(tmp, "s.bin")
    with open(m, "wb") as f:
        f.write(msg)
    with open(s, "wb") as f:
        f.write(sig)
    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", key, "-rawin",
                        "-in", m, "-sigfile", s], capture_output=True)
    return r.returncode == 0


def hkdf_sha256(ikm, salt, info, n):
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    out, block, i = b"", b"", 1
    while len(out) < n:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out, i = out + block, i + 1
    return out[:n]


# ---- keys ------------------------------------------------------------------------

def check_keys(d, tmp):
    keys = {}
    for k in json.load(open(os.path.join(d, "keys.json")))["keys"]:
        name, seed = k["name"], bytes.fromhex(k["seed"])
        pub = ed25519_public(tmp, seed)
        check(pub.hex() == k["ed25519"], f"keys: {name}: ed25519 is not the seed's (openssl)")
        check(sha256(b"setm/participant/v1" + pub)[:16].hex() == k["participant"],
              f"keys: {name}: participant id")
        xpriv = hkdf_sha256(seed, b"", b"setm/x25519/v1", 32)
        check(xpriv.hex() == k["x25519_private"], f"keys: {name}: x25519 private key (HKDF)")
        check(x25519_public(tmp, xpriv).hex() == k["x25519"], f"keys: {name}: x25519 (openssl)")
        # openssl 3.0 cannot verify an empty message (-rawin): the empty message's
        # signature is checked against RFC 8032 for its TEST 1 key, the other on every key
        sig = bytes.fromhex(k["signature_of_empty_message"])
        check(ed25519_verifies(tmp, pub, k["message"].encode(),
                               bytes.fromhex(k["signature_of_message"])),
              f"keys: {name}: signature of {k['message']!r} (openssl)")
        if name == "rfc8032-test1":
            check(k["ed25519"] == RFC8032_TEST1["ed25519"], "keys: RFC 8032 TEST 1 public key")
            check(sig.hex() == RFC8032_TEST1["sig"], "keys: RFC 8032 TEST 1 signature")
        keys[name] = k
    check("rfc8032-test1" in keys, "keys: RFC 8032 TEST 1 is missing")
    return keys


# ---- records ---------------------------------------------------------------------

def unix_time(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def encode(encoding, value):
    """A JSON field's value in the canonical encoding the layout names."""
    if encoding == "u8":
        return struct.pack("<B", sum(ROLES[r] for r in value) if isinstance(value, list) else value)
    if encoding in ("u32", "i32", "u64", "i64"):
        fmt = {"u32": "<I", "i32": "<i", "u64": "<Q", "i64": "<q"}[encoding]
        return struct.pack(fmt, unix_time(value) if isinstance(value, str) else value)
    if encoding == "str":
        data = value.encode()
        return struct.pack("<Q", len(data)) + data
    if encoding == "str[]":
        return struct.pack("<Q", len(value)) + b"".join(encode("str", v) for v in value)
    if encoding.startswith("list of (") and encoding.endswith(")"):
        fields = [f.split(" ", 1) for f in encoding[9:-1].split(", ")]
        return struct.pack("<Q", len(value)) + b"".join(
            encode(enc, item[name]) or b"(unknown)" for item in value for name, enc in fields)
    if encoding in ("b16", "b32"):
        data = bytes.fromhex(value)
        return data if len(data) == int(encoding[1:]) else b"(wrong length)"
    return None


def load_sign_record():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "testdata", "fixtures", "sign-record.py")
    spec = importlib.util.spec_from_file_location("sign_record", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def check_layout(r, what):
    j, layout = r["json"], r["layout"]
    total = b"".join(bytes.fromhex(e["hex"]) for e in layout)
    check(total.hex() == r["canonical_hex"], f"{what}: the layout does not add up to the bytes")
    check(layout[0]["hex"] == "01", f"{what}: the first byte is not the little-endian flag")
    check(layout[1]["hex"] == encode("str", f"setm/{r['type']}/v1").hex(), f"{what}: tag")
    check(layout[2]["hex"] == bytes.fromhex(j["chain"])[::-1].hex(), f"{what}: chain id")
    for e in layout[3:]:
        want = encode(e["encoding"], j.get(e["field"]))
        check(want is not None and want.hex() == e["hex"],
              f"{what}: field {e['field']} ({e['encoding']}) is not its JSON value")
    names = [e["field"] for e in layout[3:]]
    fields = [k for k in j if k not in ("type", "id", "chain", "signature")]
    check([f for f in fields if f in names] == names, f"{what}: fields out of JSON order")


def check_records(d, tmp, keys):
    signer = load_sign_record()
    ids = {}
    for r in json.load(open(os.path.join(d, "records.json")))["records"]:
        what = f"records: {r['where']} ({r['type']})"
        data, j = bytes.fromhex(r["canonical_hex"]), r["json"]
        check_layout(r, what)
        check(sha256(data).hex() == r["id"] == j["id"], f"{what}: id is not SHA-256 of the bytes")
        check(r["signature"] == j["signature"], f"{what}: signature differs from its JSON")
        check(keys[r["signer"]]["ed25519"] == r["public_key"], f"{what}: signer's key")
        check(ed25519_verifies(tmp, bytes.fromhex(r["public_key"]), data,
                               bytes.fromhex(r["signature"])), f"{what}: signature (openssl)")
        if r["type"] in ("identity", "credential", "revocation", "offer", "request", "cancel",
                         "authority", "handover"):
            check(signer.canonical(j) == data, f"{what}: sign-record.py makes other bytes")
        ids[r["id"]] = r
    return ids


# ---- blocks and merkle trees -------------------------------------------------------

def merkle_root(leaf_hashes):
    if not leaf_hashes:
        return sha256(b"")
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    k = 1
    while k * 2 < len(leaf_hashes):
        k *= 2
    return sha256(b"\x01" + merkle_root(leaf_hashes[:k]) + merkle_root(leaf_hashes[k:]))


def compact_target(bits):
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    return mantissa >> 8 * (3 - exponent) if exponent <= 3 else mantissa << 8 * (exponent - 3)


def check_block(b, prev_hash, records):
    what = f"blocks: height {b['height']}"
    raw, h = bytes.fromhex(b["header_hex"]), b["header"]
    check(len(raw) == 80, f"{what}: header is not 80 bytes")
    version, prev, root, t, bits, nonce = struct.unpack("<i32s32sIII", raw)
    check((version, t, bits, nonce) == (h["version"], h["time"], h["bits"], h["nonce"]),
          f"{what}: header fields")
    check(prev[::-1].hex() == h["prev"] == prev_hash, f"{what}: prev")
    check(root.hex() == b["merkle_root_bytes"] and root[::-1].hex() == h["merkle_root"],
          f"{what}: merkle root in the header")
    digest = sha256(sha256(raw))
    check(digest.hex() == b["hash_bytes"] and digest[::-1].hex() == b["hash"], f"{what}: hash")
    check(int(b["hash"], 16) <= compact_target(bits) == int(b["target"], 16),
          f"{what}: proof of work")
    ids = [bytes.fromhex(r["id"]) for r in b["records"]]
    leaves = [sha256(b"\x00" + i) for i in ids]
    check([x.hex() for x in leaves] == b["leaf_hashes"], f"{what}: leaf hashes")
    check(merkle_root(leaves) == root, f"{what}: merkle root recomputed")
    for i, r in enumerate(b["records"]):
        rec = records.get(r["id"])
        check(rec is not None and rec["where"] == f"block {b['height']} record {i}"
              and rec["type"] == r["type"], f"{what}: record {i} is not in records.json")


def check_blocks(d, records):
    blocks = json.load(open(os.path.join(d, "blocks.json")))
    prev = "00" * 32
    for b in blocks["blocks"]:
        check_block(b, prev, records)
        prev = b["hash"]
    check(blocks["chain_id"] == blocks["blocks"][0]["hash"], "blocks: chain id is the genesis hash")
    for r in records.values():
        if r["type"] not in ("identity", "genesis"):
            check(r["json"]["chain"] == blocks["chain_id"], f"records: {r['where']}: chain id")
    counts = [len(b["records"]) for b in blocks["blocks"]]
    check(any(n > 2 and n % 2 == 1 for n in counts), "blocks: no block with an odd leaf count > 2")


def check_merkle(d):
    for t in json.load(open(os.path.join(d, "merkle.json")))["trees"]:
        n = t["leaves"]
        data = [sha256(f"leaf {i}".encode()) for i in range(n)]
        check([x.hex() for x in data] == t["leaf_data"], f"merkle: {n} leaves: data")
        leaves = [sha256(b"\x00" + x) for x in data]
        check([x.hex() for x in leaves] == t["leaf_hashes"], f"merkle: {n} leaves: leaf hashes")
        root = merkle_root(leaves)
        check(root.hex() == t["root_bytes"] and root[::-1].hex() == t["root"], f"merkle: {n} root")


# ---- market ----------------------------------------------------------------------

def allowed(offer, request, fee):
    """The pair may trade: not its own, inside `from`, floor + fee <= ceiling."""
    f = fee if offer["zone"] != request["zone"] else 0
    ok_from = not request["from"] or offer["id"] in request["from"] or offer["owner"] in request["from"]
    return (offer["owner"] != request["owner"] and ok_from and
            offer["floor_price"] + f <= request["ceiling_price"]), f


def negotiated(offer, request, fee, rounds):
    """The first round k at which the bid less the fee reaches the ask, and the price."""
    ob, c = request["opening_price"], request["ceiling_price"]
    oa, fl = offer["opening_price"], offer["floor_price"]
    for k in range(rounds + 1):
        bid = ob + (c - ob) * k // rounds
        ask = oa - (oa - fl) * k // rounds
        if bid - fee >= ask:
            return k, (bid - fee + ask) // 2
    return None, None


def check_trade(book, mech, t, orders):
    what = f"market: {book['name']}: {mech}: {t['offer_label']} -> {t['request_label']}"
    o, r = orders[t["offer_label"]], orders[t["request_label"]]
    ok, f = allowed(o, r, book["network_fee"])
    check(o["side"] == "offer" and r["side"] == "request", f"{what}: sides")
    check((t["offer"], t["request"], t["seller"], t["buyer"]) == (o["id"], r["id"], o["owner"], r["owner"]),
          f"{what}: ids")
    check(ok and t["fee_price"] == f, f"{what}: a pair that may not trade, or the wrong fee")
    check(o["floor_price"] <= t["price"] and t["price"] + f <= r["ceiling_price"], f"{what}: limits")
    check(t["energy_wh"] > 0 and t["amount"] == t["energy_wh"] * t["price"] and
          t["fee"] == t["energy_wh"] * t["fee_price"], f"{what}: energy and money")
    if mech == "pay-as-bid":
        check(t["price"] == r["ceiling_price"] - f, f"{what}: pay-as-bid price")
    if mech == "negotiate":
        k, price = negotiated(o, r, f, book["rounds"])
        check((t["round"], t["price"]) == (k, price), f"{what}: round {k}, price {price}")
    else:
        check(t["round"] == 0, f"{what}: round")


def uniform_price(book, res, orders):
    """Pay-as-clear's price in one zone without constraints (market.hpp): the
    midpoint, rounded towards minus infinity, of [max(f_k, c_k+1), min(c_k, f_k+1)],
    f_k and c_k the dearest offer and cheapest request that traded, f_k+1 and
    c_k+1 the next ones left over (a partly filled order is its own next one)."""
    if len({o["zone"] for o in orders.values()}) != 1 or any(o["from"] for o in orders.values()):
        return None
    if len({o["owner"] for o in orders.values()}) != len(orders) or not res["trades"]:
        return None
    left = {x["label"] for x in res["leftovers"]}
    traded = {t["offer_label"] for t in res["trades"]} | {t["request_label"] for t in res["trades"]}
    floors = [orders[x]["floor_price"] for x in traded if orders[x]["side"] == "offer"]
    ceilings = [orders[x]["ceiling_price"] for x in traded if orders[x]["side"] == "request"]
    next_floor = [orders[x]["floor_price"] for x in left if orders[x]["side"] == "offer"]
    next_ceiling = [orders[x]["ceiling_price"] for x in left if orders[x]["side"] == "request"]
    low = max([max(floors)] + ([max(next_ceiling)] if next_ceiling else []))
    high = min([min(ceilings)] + ([min(next_floor)] if next_floor else []))
    return (low + high) // 2


def check_result(book, mech, res, orders):
    what = f"market: {book['name']}: {mech}"
    filled = {label: 0 for label in orders}
    for t in res["trades"]:
        check_trade(book, mech, t, orders)
        filled[t["offer_label"]] += t["energy_wh"]
        filled[t["request_label"]] += t["energy_wh"]
    left = {x["label"]: x["energy_wh"] for x in res["leftovers"]}
    for label, o in orders.items():
        check(filled[label] + left.get(label, 0) == o["energy_wh"] and left.get(label, 1) > 0,
              f"{what}: {label}: traded + left over is not its energy")
    check(res["traded_wh"] == sum(t["energy_wh"] for t in res["trades"]), f"{what}: traded_wh")
    if mech == "pay-as-clear" and res["clearing_price"] is not None:
        check(all(t["price"] == res["clearing_price"] for t in res["trades"]), f"{what}: one price")
    if mech == "pay-as-clear" and uniform_price(book, res, orders) is not None:
        check(res["clearing_price"] == uniform_price(book, res, orders),
              f"{what}: the price is not the midpoint {uniform_price(book, res, orders)}")
    if mech != "negotiate":  # the most welfare, then the most volume: no pair left that may trade
        for a in left:
            for b in left:
                if orders[a]["side"] == "offer" and orders[b]["side"] == "request":
                    check(not allowed(orders[a], orders[b], book["network_fee"])[0],
                          f"{what}: leftovers {a} and {b} could still trade")


def check_market(d):
    books = json.load(open(os.path.join(d, "market.json")))["books"]
    for book in books:
        orders = {o["label"]: o for o in book["orders"]}
        for o in orders.values():
            text = f"setm/vectors/{book['name']}/{o['label']}".encode()
            check(sha256(text).hex() == o["id"], f"market: {book['name']}: {o['label']}: id")
        for mech in ("pay-as-clear", "pay-as-bid", "negotiate"):
            check_result(book, mech, book["results"][mech], orders)
        same = [[(t["offer"], t["request"], t["energy_wh"]) for t in book["results"][m]["trades"]]
                for m in ("pay-as-clear", "pay-as-bid")]
        check(same[0] == same[1], f"market: {book['name']}: pay-as-* allocations differ")
    kinds = {"negative": any(o.get("floor_price", 0) < 0 for b in books for o in b["orders"]),
             "fee": any(t["fee"] > 0 for b in books for m in b["results"].values() for t in m["trades"]),
             "from": any(o["from"] for b in books for o in b["orders"]),
             "partial": any(m["leftovers"] and m["trades"] for b in books for m in b["results"].values())}
    for k, present in kinds.items():
        check(present, f"market: no book shows {k}")
    return len(books)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check-vectors.py DIR")
    d = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        keys = check_keys(d, tmp)
        records = check_records(d, tmp, keys)
    check_blocks(d, records)
    check_merkle(d)
    books = check_market(d)
    for f in failures:
        print("check-vectors: FAIL:", f)
    print(f"check-vectors: {checks - len(failures)} of {checks} checks hold "
          f"({len(keys)} keys, {len(records)} records, {books} books)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
