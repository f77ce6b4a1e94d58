"""Turns benchmarks/compare.sh's raw results (one JSON summary per load-tool run) into the RESULTS.md section:
medians per server and workload, the ratio of ZkFire to the best peer of the same run, and each issue-6 target
checked against that ratio.

usage: compare_report.py RESULTS.jsonl "SERVERS" COMMAND CORES MEM_GIB LOAD COMMIT ZK_TABLE ZK_ENSEMBLE_TABLE
"""
import collections
import datetime
import json
import os
import re
import statistics
import sys

results_path, servers, command, cores, mem_gib, load, commit, zk_table, zk_ensemble_table = sys.argv[1:10]
servers = servers.split()
peers = [s for s in servers if s != "zkfire"]
NAMES = {"zkfire": "ZkFire", "prosody": "Prosody", "ejabberd": "ejabberd"}

runs = collections.defaultdict(list)
failed = collections.Counter()
for line in open(results_path):
    r = json.loads(line)
    if r.get("failed"):
        failed[(r["server"], r["workload"])] += 1
    else:
        runs[(r["server"], r["workload"])].append(r)


def median(server, workload, field):
    values = [field(r) for r in runs[(server, workload)]]
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, spec=",.0f"):
    return "–" if value is None else format(value, spec)


def latency(p):
    return lambda r: (r.get("latencyMs") or {}).get(p)


def count_runs(server, workload):
    text = str(len(runs[(server, workload)]))
    return text + (f" ({failed[(server, workload)]} failed)" if failed[(server, workload)] else "")


verdicts = []


def against_best(workload, field, higher_is_better=True):
    """ZkFire's median for the workload, and the best peer's median and name; None when either was not measured."""
    ours = median("zkfire", workload, field)
    measured = [(median(p, workload, field), p) for p in peers if median(p, workload, field) is not None]
    if ours is None or not measured:
        return None
    value, best = (max if higher_is_better else min)(measured)
    return ours, value, best


def compare(workload, title, field, unit, higher_is_better, target, target_text, extra_columns, variants=(), pinned=None):
    """
    One table: a row per server; the ratio column is ZkFire against the best peer of this run. Each variant
    (workload, label, what-it-shows) is another ZkFire row measured the same way with one setting changed, with its
    own ratio against the same best peer. `pinned` names the same workload run by every server with the load tool
    on CPUs of its own: more rows, and their own ratio (ZkFire against the best peer, both pinned).
    """
    present = [(s, workload, NAMES[s]) for s in servers if runs[(s, workload)] or failed[(s, workload)]]
    present += [("zkfire", w, label) for w, label, _ in variants if runs[("zkfire", w)] or failed[("zkfire", w)]]
    pinned_cpus = os.environ.get("LOGIN_TOOL_CPUS")
    if pinned:
        present += [(s, pinned, f"{NAMES[s]}, load tool on CPU {pinned_cpus}") for s in servers
                    if runs[(s, pinned)] or failed[(s, pinned)]]
    if not present:
        return ""
    lines = [f"### {title}", ""]
    head = f"| server | {unit} (median) | " + " | ".join(c for c, _, _ in extra_columns) + " | runs | errors (all runs) |"
    lines += [head, "|---|--:|" + "--:|" * len(extra_columns) + "--:|--:|"]
    for s, w, label in present:
        cells = [fmt(median(s, w, f), spec) if spec else ", ".join(sorted({str(f(r)) for r in runs[(s, w)] if f(r)})) or "–"
                 for _, f, spec in extra_columns]
        errors = sum(r.get("errors", 0) for r in runs[(s, w)])
        lines.append(f"| {label} | {fmt(median(s, w, field), ',.1f' if not higher_is_better else ',.0f')} | "
                     + " | ".join(cells) + f" | {count_runs(s, w)} | {errors} |")
    meets = lambda ratio: ratio is not None and (ratio >= target if higher_is_better else ratio <= target)
    if main := against_best(workload, field, higher_is_better):
        ours, value, best = main
        ratio = ours / value if value else None
        met = meets(ratio)
        lines += ["", f"ZkFire / best peer ({NAMES[best]}): **{fmt(ratio, '.2f')}×** — target {target_text}: "
                  f"**{'met' if met else 'NOT met'}**."]
        measured = f"{fmt(ratio, '.2f')}× {NAMES[best]}"
        status = met
        for w, label, shows in variants:
            if (variant := median("zkfire", w, field)) is not None and value:
                lines.append(f"{shows[0].upper() + shows[1:]}: ZkFire / best peer ({NAMES[best]}): **{fmt(variant / value, '.2f')}×**.")
        if pinned and (on_own_cpu := against_best(pinned, field, higher_is_better)):
            ours_pinned, value_pinned, best_pinned = on_own_cpu
            ratio_pinned = ours_pinned / value_pinned if value_pinned else None
            met_pinned = meets(ratio_pinned)
            lines.append(f"With the load tool on CPU {pinned_cpus} and each server on the other cores (as if the clients were "
                         f"on another machine), ZkFire / best peer ({NAMES[best_pinned]}): **{fmt(ratio_pinned, '.2f')}×** — "
                         f"target {target_text}: **{'met' if met_pinned else 'NOT met'}**.")
            measured += f"; {fmt(ratio_pinned, '.2f')}× {NAMES[best_pinned]} with the tool on its own CPU"
            if met_pinned and not met:
                status = "met with the tool on its own CPU only"
        verdicts.append((title, measured, target_text, status))
    if efficiency := against_best(workload, lambda r: r.get("perServerCpuSecond")):
        ours, value, best = efficiency
        lines.append(f"Work per server CPU-second (the servers and the load tool share the cores), ZkFire / best peer "
                     f"({NAMES[best]}): **{fmt(ours / value if value else None, '.2f')}×**.")
    return "\n".join(lines) + "\n"


CPU = [("server cores", lambda r: r.get("serverCores"), ".2f"),
       ("per server CPU-second", lambda r: r.get("perServerCpuSecond"), ",.0f")]
sections = []
sections.append(compare(
    "messaging", f"Messages/s at saturation, one node (xmpp-messaging, max rate)", lambda r: r["deliveredPerSec"],
    "delivered msgs/s", True, 5, "≥ 5×",
    [("p50 ms", latency("p50"), ".2f"), ("p99 ms", latency("p99"), ".2f"), ("p99.9 ms", latency("p999"), ".2f")] + CPU))
sections.append(compare(
    "login", "SCRAM-SHA-1 login storm (xmpp-login)", lambda r: r["loginsPerSec"], "logins/s", True, 5, "≥ 5×",
    [("client flow", lambda r: r.get("flow"), None), ("p50 ms", latency("p50"), ".2f"), ("p99 ms", latency("p99"), ".2f"),
     ("p99.9 ms", latency("p999"), ".2f")] + CPU,
    [("login-rfc6120", "ZkFire, RFC 6120 flow (`--sasl2 off`)", "with ZkFire on the RFC 6120 flow as well")],
    pinned="login-pinned"))
sections.append(compare(
    "presence", "Presence broadcasts (xmpp-presence, max rate)", lambda r: r["deliveredPerSec"],
    "presence stanzas delivered/s", True, 1, "(no target; ≥ 1×)",
    [("changes/s", lambda r: r["changesPerSec"], ",.0f"), ("p50 ms", latency("p50"), ".2f"),
     ("p99 ms", latency("p99"), ".2f")] + CPU))
sections.append(compare(
    "idle", "Resident memory per idle authenticated session (xmpp-idle)", lambda r: r.get("serverKbPerSession"),
    "KB/session (RSS at the end of the hold)", False, 1 / 3, "≤ 1/3",
    [("KB/session at peak", lambda r: r.get("serverKbPerSessionMax"), ",.1f"),
     ("sessions held", lambda r: r.get("onlineAtEnd"), ",.0f"), ("logins/s", lambda r: r.get("loginsPerSec"), ",.0f")]))

scale = runs[("zkfire", "scale")]
limit = runs[("zkfire", "scale-limit")]
if scale or failed[("zkfire", "scale")]:
    lines = ["### Many sessions on one ZkFire node (xmpp-idle)", ""]
    asked = limit[0]["asked"] if limit else None
    fd_limit = limit[0]["fdLimit"] if limit else None
    for r in scale:
        lines.append(f"- {r['onlineAtEnd']:,} of {r['sessions']:,} sessions held {r['holdSeconds']:.0f} s over "
                     f"{r['sourceAddresses']} source addresses, {r['errors']} errors, {r['serverKbPerSession']:.1f} KB/session "
                     f"resident, logins at {r['loginsPerSec']:,.0f}/s.")
    if failed[("zkfire", "scale")]:
        lines.append("- the run failed (see the log).")
    if asked and scale and scale[0]["sessions"] < asked:
        lines.append(f"- **{asked:,} asked, {scale[0]['sessions']:,} run**: the open-file limit here is {fd_limit:,} "
                     "(hard), and every session needs a descriptor in the server and one in the load tool.")
    ok = bool(scale) and scale[0]["sessions"] >= 100000 and scale[0]["errors"] == 0 and scale[0]["onlineAtEnd"] == scale[0]["sessions"]
    verdicts.append(("100,000 sessions on one node", f"{scale[0]['onlineAtEnd']:,} held" if scale else "failed",
                     "100,000, no errors", ok))
    sections.append("\n".join(lines) + "\n")


def zk_ratios(table):
    out = {}
    for row in table.splitlines():
        m = re.match(r"\| (\w+) \|.*?\*\*([0-9.]+)\*\*", row)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


for name, table in (("standalone", zk_table), ("3-member ensemble", zk_ensemble_table)):
    if not table.strip():
        continue
    sections.append(f"### ZooKeeper {name}: ZkFire vs Apache ZooKeeper 3.8\n\n{table.strip()}\n")
    ratios = zk_ratios(table)
    writes = [ratios[w] for w in ("create", "set") if w in ratios]
    if writes:
        verdicts.append((f"ZooKeeper writes, {name}", " / ".join(f"{w:.2f}×" for w in writes) + " (create / set)",
                         "≥ 1×", min(writes) >= 1))
    if "get" in ratios:
        verdicts.append((f"ZooKeeper reads, {name}", f"{ratios['get']:.2f}× (get)", "≥ 1.5×", ratios["get"] >= 1.5))

now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
out = [f"## Side by side: ZkFire vs Prosody, ejabberd and Apache ZooKeeper ({now})", "",
       f"- Commit `{commit}`, Release build. Machine: {cores} cores, {mem_gib} GiB RAM, load average at the end {load} "
       "(shared with other work: the absolute numbers are noisy, the ratios of one run are the point).",
       "- Every server on 127.0.0.1 in this run, taking turns inside each repetition; medians of the repetitions. "
       "XMPP: domain localhost, SCRAM-SHA-1, accounts created by in-band registration and stored hashed, plain TCP "
       "on loopback (each server offers STARTTLS there without requiring it) unless TLS=starttls. Logins take the "
       "best flow each server offers: SASL2 with Bind 2 (XEP-0388/0386) on ZkFire, RFC 6120 on Prosody 0.12 and "
       "ejabberd 23.01 (they do not offer SASL2); ZkFire is also measured with the RFC 6120 flow.",
       "- " + (f"The load tool ran on CPU {os.environ['TOOL_CPUS']} only and the servers on the other cores (as if the "
               "clients were on another machine)." if os.environ.get("TOOL_CPUS") else
               "The load tool and the servers shared every core (the tool's own CPU share is in each JSON summary)."),
       "- Command (builds first):", "  ```sh", f"  {command}", "  ```", ""]
if verdicts:
    out += ["| target | measured (ZkFire / best peer) | wanted | |", "|---|---|---|---|"]
    out += [f"| {t} | {m} | {w} | {ok if isinstance(ok, str) else 'met' if ok else '**not met**'} |" for t, m, w, ok in verdicts]
    out.append("")
out += [s for s in sections if s]
print("\n".join(out).rstrip())
