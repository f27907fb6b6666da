#!/usr/bin/env python3
"""check-cli.py BIN DIR - the tools make the chain of the published vectors.

Reads testdata/vectors (DIR) and types, for every record of blocks.json, the
command that makes it: setm-keygen --seed for the keys, setm-auth init for
the genesis, setm-auth register and revoke, setm-offer and setm-request for
the orders and their --cancel, setm-negotiate for the trades, setm-mine for each block at its
time. Every identity, record and block the tools print must be the vectors'
byte for byte (Ed25519 is deterministic, and setm-mine takes the lowest
nonce that meets the target), and setm-verify must accept the chain.
"""
import json
import os
import subprocess
import sys
import tempfile

failures = []


def fail(what):
    failures.append(what)
    print("check-cli: FAIL:", what)


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def eur(cents):
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


class Tools:
    def __init__(self, bin_dir, work):
        self.bin, self.work = os.path.abspath(bin_dir), work
        self.store = os.path.join(work, "chain")

    def run(self, tool, *args, stdin=""):
        p = subprocess.run([os.path.join(self.bin, tool), *args], input=stdin, text=True,
                           capture_output=True, cwd=self.work)
        if p.returncode != 0:
            fail(f"{tool} {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
        return p.stdout

    def key(self, name):
        return os.path.join(self.work, name + ".key")


# ---- one maker per kind of record: the command that makes it --------------------

def empty(value):
    """A field at its default (0, "", [], all zeros), which init sets without an option."""
    return value in (0, "", []) or (isinstance(value, str) and set(value) == {"0"})


def make_genesis(t, g, keys):
    known = {"type", "id", "chain", "signature", "authority_name", "authority_ed25519",
             "authority_x25519", "energy_unit", "price_unit", "money_unit"}
    options = {"chain_name": "--chain-name", "slot_minutes": "--slot-minutes",
               "max_records": "--max-records", "mechanism": "--mechanism", "rounds": "--rounds",
               "gate_minutes": "--gate-minutes", "auction_minutes": "--auction-minutes"}
    args = ["init", "--store", t.store, "--key", t.key(g["authority_name"]), "--now", g["created"],
            "--network-fee", eur(g["network_fee"]),
            "--difficulty", str(256 - (int(g["target"], 16)).bit_length())]
    for field, value in g.items():
        if field in options:
            args += [options[field], str(value)]
        elif field == "zone_fees":
            for z in value:
                args += ["--zone-fee", f"{z['seller_zone']}:{z['buyer_zone']}={eur(z['fee'])}"]
        elif field == "grid_operator" and not empty(value):
            args += ["--grid-operator", value]
        elif field not in known | {"bits", "created", "network_fee", "target"} and not empty(value):
            fail(f"genesis field {field}: check-cli.py knows no setm-auth init option for it")
    return t.run("setm-auth", *args)


def make_credential(t, c, keys):
    args = ["register", "--store", t.store, "--key", t.key("authority"), "--serial", str(c["serial"]),
            "--zone", c["zone"], "--valid-from", c["valid_from"], "--valid-until", c["valid_until"],
            "--now", c["valid_from"]]
    for role in c["roles"]:
        args += ["--role", role]
    if c["meter"]:
        args += ["--meter", c["meter"]]
    if c["max_energy_wh"]:
        args += ["--max-energy", f"{c['max_energy_wh']}Wh"]
    with open(os.path.join(t.work, c["name"] + ".id.json")) as f:
        return t.run("setm-auth", *args, stdin=f.read())


def make_revocation(t, r, keys):
    return t.run("setm-auth", "revoke", "--store", t.store, "--key", t.key("authority"),
                 "--serial", str(r["serial"]), "--reason", r["reason"], "--now", r["time"])


def make_authority(t, a, keys):
    return t.run("setm-auth", "rotate", "--store", t.store, "--key", t.key(keys[a["signed_by"]]),
                 "--new-key", os.path.join(t.work, a["name"] + ".id.json"),
                 "--reason", a["reason"], "--now", a["time"])


def make_handover(t, h, c, keys):
    """setm-auth register --replaces prints the hand-over and the credential c."""
    args = ["register", "--store", t.store, "--key", t.key(keys[h["authority"]]), "--replaces",
            h["participant"], "--serial", str(c["serial"]), "--valid-from", h["time"],
            "--valid-until", c["valid_until"], "--now", h["time"]]
    with open(os.path.join(t.work, c["name"] + ".id.json")) as f:
        return t.run("setm-auth", *args, stdin=f.read())


def make_cancel(t, c, records, keys):
    tool = "setm-offer" if records[c["order"]]["type"] == "offer" else "setm-request"
    return t.run(tool, "--key", t.key(keys[c["owner"]]), "--store", t.store, "--cancel", c["order"],
                 "--now", c["time"])


def make_reading(t, r, keys, now):
    """setm-offer --readings (any participant's tool signs its readings)."""
    csv = f"slot,delivered,consumed,meter\n{r['slot']},{r['delivered_wh']}Wh,{r['consumed_wh']}Wh,{r['meter']}\n"
    path = os.path.join(t.work, "readings.csv")
    with open(path, "w") as f:
        f.write(csv)
    return t.run("setm-offer", "--key", t.key(keys[r["participant"]]), "--store", t.store,
                 "--readings", path, "--now", now)


def make_tariff(t, f, keys):
    return t.run("setm-auth", "tariff", "--store", t.store, "--key", t.key("authority"),
                 "--imbalance-price", eur(f["imbalance_price"]), "--from", f["valid_from"],
                 "--now", f["time"])


def make_order(t, o, keys, now):
    offer = o["type"] == "offer"
    owner = keys[o["producer" if offer else "consumer"]]
    limit = o["floor_price" if offer else "ceiling_price"]
    args = ["--key", t.key(owner), "--store", t.store, "--slot", o["slot"],
            "--energy", f"{o['energy_wh']}Wh", f"--price={eur(limit)}",
            f"--opening={eur(o['opening_price'])}", "--zone", o["zone"], "--expires", o["expires"],
            "--nonce", str(o["nonce"]), "--now", now]
    for f in o.get("from", []):
        args += ["--from", f]
    return t.run("setm-offer" if offer else "setm-request", *args)


def block_input(t, block, records, keys):
    """What setm-mine reads for this block, made by the tools."""
    recs = [records[r["id"]]["json"] for r in block["records"]]
    out = ""
    trades = [r for r in recs if r["type"] == "trade"]
    for i, r in enumerate(recs):
        kind = r["type"]
        if kind == "credential" and i > 0 and recs[i - 1]["type"] == "handover":
            continue  # made with its hand-over
        if kind == "handover":
            out += make_handover(t, r, recs[i + 1], keys)
        elif kind == "credential":
            out += make_credential(t, r, keys)
        elif kind == "revocation":
            out += make_revocation(t, r, keys)
        elif kind in ("offer", "request"):
            out += make_order(t, r, keys, block["time_utc"])
        elif kind == "cancel":
            out += make_cancel(t, r, records, keys)
        elif kind == "authority":
            out += make_authority(t, r, keys)
        elif kind == "reading":
            out += make_reading(t, r, keys, block["time_utc"])
        elif kind == "tariff":
            out += make_tariff(t, r, keys)
        elif kind != "trade":
            fail(f"block {block['height']}: check-cli.py knows no tool that makes a {kind}")
    if trades:  # the agent clears the orders: its output is the orders, then the trades
        out = t.run("setm-negotiate", "--store", t.store, "--key", t.key(keys[trades[0]["agent"]]),
                    "--now", trades[0]["time"], stdin=out)
    return out


def compare_block(mined, block, records):
    h = block["height"]
    if not mined:
        return fail(f"block {h}: nothing mined")
    m = json.loads(mined)
    for field in ("height", "hash", "header_hex"):
        if m[field] != block[field]:
            fail(f"block {h}: {field} {m[field]} where the vectors have {block[field]}")
    got = [compact(r) for r in m["records"]]
    want = [compact(records[r["id"]]["json"]) for r in block["records"]]
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            fail(f"block {h} record {i}: the tools made\n  {g}\nwhere the vectors have\n  {w}")
    if len(got) != len(want):
        fail(f"block {h}: {len(got)} records where the vectors have {len(want)}")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check-cli.py BIN_DIR VECTORS_DIR")
    bin_dir, d = sys.argv[1], sys.argv[2]
    keys_json = json.load(open(os.path.join(d, "keys.json")))["keys"]
    records = {r["id"]: r for r in json.load(open(os.path.join(d, "records.json")))["records"]}
    blocks = json.load(open(os.path.join(d, "blocks.json")))["blocks"]
    keys = {k["participant"]: k["name"] for k in keys_json}
    identities = {r["json"]["name"]: r["json"] for r in records.values() if r["type"] == "identity"}
    with tempfile.TemporaryDirectory() as work:
        t = Tools(bin_dir, work)
        for k in keys_json:
            line = t.run("setm-keygen", "--out", t.key(k["name"]), "--name", k["name"],
                         "--seed", k["seed"])
            with open(os.path.join(work, k["name"] + ".id.json"), "w") as f:
                f.write(line)
            if line.strip() != compact(identities[k["name"]]):
                fail(f"setm-keygen --seed {k['seed']}: identity differs from the vectors")
        genesis = dict(records[blocks[0]["records"][0]["id"]]["json"], target=blocks[0]["target"])
        compare_block(make_genesis(t, genesis, keys), blocks[0], records)
        for block in blocks[1:]:
            mined = t.run("setm-mine", "--store", t.store, "--now", block["time_utc"],
                          stdin=block_input(t, block, records, keys))
            compare_block(mined, block, records)
        t.run("setm-verify", "--store", t.store, "--now", blocks[-1]["time_utc"])
    print(f"check-cli: {len(blocks)} blocks made by the tools, "
          f"{'identical to the vectors' if not failures else f'{len(failures)} differences'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
