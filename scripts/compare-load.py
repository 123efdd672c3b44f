#!/usr/bin/env python3
"""chatbench vs ircload: reads OUT/<server>-<scenario>-<pass>.{ircload,chatbench}.{txt,err}
(written by chatbench-vs-ircload.sh) and prints a markdown table of the figures both tools
report, with chatbench/ircload ratios. Both tools print the same result lines (ircload on
stdout, chatbench on stderr with a time prefix), so one parser reads both."""
import glob
import os
import re
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/chatbench-vs-ircload"


def lines(base, tool):
    text = ""
    for ext in ("txt", "err"):
        try:
            with open(f"{base}.{tool}.{ext}") as f:
                text += f.read()
        except OSError:
            pass
    return [re.sub(r"^\[\s*[\d.]+\] ", "", l) for l in text.splitlines()]


def figures(ls):
    f = {}
    for l in ls:
        if m := re.match(r"connect: registered=(\d+)/(\d+) in ([\d.]+)s", l):
            f["registered"] = int(m[1])
            f["connect_per_s"] = int(m[1]) / max(float(m[3]), 1e-9)
        elif m := re.match(r"deliver: received=(\d+) expected=(\d+) lost=(-?\d+).*fanout_deliveries/s=(\d+)", l):
            f["received"], f["expected"], f["lost"], f["deliveries_per_s"] = int(m[1]), int(m[2]), int(m[3]), int(m[4])
        elif m := re.match(r"latency_ms: p50=([-\d.]+) p99=([-\d.]+) p99.9=([-\d.]+) max=([-\d.]+) mean=([-\d.]+)", l):
            f["p50_ms"], f["p99_ms"], f["p999_ms"], f["max_ms"], f["mean_ms"] = map(float, m.groups())
        elif m := re.match(r"loadavg at end: ([\d.]+)", l):
            f["loadavg_1min_at_end"] = float(m[1])
        elif m := re.match(r"cpu: server=([-\d.]+)s", l):
            f["server_cpu_s"] = float(m[1])
        elif m := re.match(r"step target=(\d+) alive=(\d+) server_rss_kb=(-?\d+) rss_per_conn_kb=[-\d.]+ delta_rss_per_conn_kb=([-\d.]+)", l):
            f[f"kb_per_conn@{m[1]}"] = float(m[4])
            f["max_alive"] = max(f.get("max_alive", 0), int(m[2]))
    if "server_cpu_s" in f and f.get("received"):
        f["server_us_per_delivery"] = f["server_cpu_s"] * 1e6 / f["received"]
    return f


ORDER = ["registered", "deliveries_per_s", "received", "lost", "p50_ms", "p99_ms", "p999_ms", "max_ms",
         "mean_ms", "server_cpu_s", "server_us_per_delivery", "connect_per_s", "loadavg_1min_at_end"]
# Figures the 10 % agreement is judged on (the others are shown for information; latency
# tails and connection rates are noisy on this VM even between two runs of one tool).
JUDGED = {"deliveries_per_s", "p50_ms", "p99_ms", "server_us_per_delivery"}

bases = sorted({re.sub(r"\.(ircload|chatbench)\.(txt|err)$", "", p) for p in glob.glob(os.path.join(out, "*-S?-*.*.*"))})
print("| server | scenario | pass | figure | ircload | chatbench | chatbench/ircload |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for base in bases:
    server, sc, p = os.path.basename(base).rsplit("-", 2)
    a, b = figures(lines(base, "ircload")), figures(lines(base, "chatbench"))
    keys = [k for k in ORDER if k in a or k in b] + sorted(k for k in set(a) | set(b) if k not in ORDER)
    for k in keys:
        va, vb = a.get(k), b.get(k)
        ratio = f"{vb / va:.2f}" if va not in (None, 0) and vb is not None else "-"
        mark = " (judged)" if k in JUDGED or k.startswith("kb_per_conn") else ""
        fa = "-" if va is None else (f"{va:.2f}" if isinstance(va, float) else str(va))
        fb = "-" if vb is None else (f"{vb:.2f}" if isinstance(vb, float) else str(vb))
        print(f"| {server} | {sc} | {p} | {k}{mark} | {fa} | {fb} | {ratio} |")
