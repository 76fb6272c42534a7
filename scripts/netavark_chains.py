"""netavark 1.4 leaves a network's (empty) port-forward chain after its last teardown, and its
shared chains once made. The tests and the benches remove the ones they made (with the jumps to
them), unless something still uses them:

    python3 scripts/netavark_chains.py snapshot FILE   # before
    python3 scripts/netavark_chains.py clean FILE      # after: removes what was made since
"""
import json
import shlex
import subprocess
import sys


def chains():
    """(tool, table, chain) of every NETAVARK chain, IPv4 and IPv6."""
    out = set()
    for tool in ("iptables", "ip6tables"):
        for table in ("nat", "filter"):
            text = subprocess.run([tool + "-save", "-t", table], capture_output=True, text=True).stdout
            out |= {(tool, table, l[1:].split()[0]) for l in text.splitlines() if l.startswith(":NETAVARK")}
    return out


def remove_made(before):
    """Removes the chains made since `before` that hold nothing but netavark's own marks."""
    for tool, table, chain in sorted(chains() - set(before)):
        rules = subprocess.run([tool, "-t", table, "-S", chain], capture_output=True, text=True).stdout.splitlines()
        if any(r.startswith("-A ") for r in rules if "netavark portfw masq mark" not in r and "--set-xmark 0x2000" not in r):
            continue  # still in use
        subprocess.run([tool, "-t", table, "-F", chain], capture_output=True)
        for line in subprocess.run([tool, "-t", table, "-S"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("-A ") and line.endswith("-j " + chain):
                subprocess.run([tool, "-t", table, "-D", *shlex.split(line[3:])], capture_output=True)
        subprocess.run([tool, "-t", table, "-X", chain], capture_output=True)


if __name__ == "__main__":
    verb, path = sys.argv[1], sys.argv[2]
    if verb == "snapshot":
        json.dump(sorted(chains()), open(path, "w"))
    else:
        remove_made({tuple(c) for c in json.load(open(path))})
