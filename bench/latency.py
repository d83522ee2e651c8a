#!/usr/bin/env python3
"""Acknowledgement latency of a running klachtd (see bench/latency):
latency.py KLACHTD CONFIG SMTP_PORT MAILBOX TAG N RATE.
Sends N complaints through Postfix at RATE per second, notes when Postfix
accepted each, waits until klachtd handed every acknowledgement to Postfix
(read from the store through the daemon's control socket) and prints the
latencies' p50/p90/p99."""
import base64, json, smtplib, subprocess, sys, time

klachtd, config, port, mailbox, tag, n, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6]), float(sys.argv[7])
accepted = {}
s = smtplib.SMTP("127.0.0.1", port)
start = time.time()
for i in range(n):
    due = start + i / rate
    if due > time.time():
        time.sleep(due - time.time())
    sender = f"klant{i}-{tag}@voorbeeld.test"
    msg = (f"From: Klant {i} <{sender}>\r\nTo: {mailbox}\r\nSubject: Monteur niet gekomen\r\n"
           f"Message-ID: <lat-{i}-{tag}@voorbeeld.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "Beste,\r\n\r\nDe monteur is vanochtend niet gekomen, terwijl ik vrij had genomen. "
           "Dit is de tweede keer en ik ben het zat. Ik wil een vergoeding.\r\n\r\nGroet,\r\nKlant\r\n")
    s.sendmail(sender, [mailbox], msg.encode())
    accepted[sender] = time.time()
s.quit()

def sent():
    out = subprocess.run([klachtd, "--config", config, "export"], capture_output=True, check=True).stdout
    acks = {}
    for line in out.splitlines():
        e = json.loads(line)
        if e.get("tree") != "outbox":
            continue
        item = json.loads(base64.b64decode(e["value"]))
        if item.get("letter") == "ontvangstbevestiging" and item.get("state") == "sent":
            t = item["at"]
            acks[item["to"]] = t
    return acks

deadline = time.time() + 300
acks = {}
while time.time() < deadline:
    acks = sent()
    if all(a in acks for a in accepted):
        break
    time.sleep(1)
from datetime import datetime
if not acks:
    sys.exit(f"{rate:g}/s: no acknowledgement was sent within 300 s")
lat = sorted(datetime.fromisoformat(acks[a].replace("Z", "+00:00")).timestamp() - t for a, t in accepted.items() if a in acks)
missing = n - len(lat)
pct = lambda p: lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]
print(f"{rate:g}/s: p50 {pct(50):.2f} s, p90 {pct(90):.2f} s, p99 {pct(99):.2f} s, max {lat[-1]:.2f} s" + (f", {missing} not acknowledged" if missing else ""))
