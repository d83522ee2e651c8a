#!/usr/bin/env python3
"""Fills a complaints mailbox with N realistic complaints.

    bench/fill.py LMTP_PORT MAILBOX N TAG [FIRST]      over Dovecot's LMTP
    bench/fill.py --maildir DIR MAILBOX N TAG [FIRST]  straight into DIR/new

FIRST (default 0) numbers the first message, so that fills in rounds add
new complainants.

LMTP is how Postfix delivers (fast enough for a few thousand); for tens of
thousands the messages are written into the Maildir as any local delivery
agent does (tmp/, then renamed into new/), and Dovecot indexes them on the
next select.

The texts are varied Dutch and English complaints written for the bench.
The mail around them is shaped as the clients complainants use send it, so
that sizes are realistic: about half as Gmail sends (multipart/alternative,
a small HTML part, DKIM and ARC headers), a third as Outlook sends (a large
HTML part with Word's styles) and the rest plain text; each with the
Received chain of a delivery through a provider and the organisation's
mail server.
"""
import os, random, smtplib, sys, time

args = sys.argv[1:]
maildir = None
if args and args[0] == "--maildir":
    maildir = args[1]
    args = args[2:]
    port = None
else:
    port = int(args[0])
    args = args[1:]
mailbox, n, tag = args[0], int(args[1]), args[2]
first = int(args[3]) if len(args) > 3 else 0

OPENINGS = ["Geachte heer/mevrouw,", "Beste klantenservice,", "Hallo,", "Dear customer service,", "Goedemiddag,"]
BODIES = [
    "Op {d} zou de monteur tussen 8 en 12 uur komen voor de storing aan de cv-ketel. Ik heb de hele ochtend thuis gezeten en er is niemand gekomen. Telefonisch kreeg ik te horen dat de afspraak niet in het systeem stond. Dit is de tweede keer. Ik wil dat er deze week iemand komt en ik wil een vergoeding voor de vrije dag die ik heb moeten nemen.",
    "Mijn factuur van {d} is veel te hoog: er staan 1.240 kWh op terwijl mijn meterstand maar 412 kWh verbruik laat zien. Ik heb de meterstand met foto doorgegeven maar er wordt niets mee gedaan. Ik ben het hier absoluut niet mee eens en verwacht een gecorrigeerde factuur.",
    "De bezorger heeft mijn pakket op {d} gewoon bij de voordeur laten staan, in de regen. De inhoud (een laptop) is beschadigd. Ik heb drie keer gebeld en word steeds doorverbonden. Onacceptabel. Ik wil een nieuwe laptop of mijn geld terug.",
    "I am writing to complain about the rude treatment I received from your employee at the counter on {d}. He refused to help me and laughed when I asked for the manager. I expect an apology and an explanation of what you will do about this.",
    "Sinds {d} heb ik geen internet meer. De storingsdienst belooft elke dag dat het morgen opgelost is, maar er gebeurt niets. Ik werk thuis en loop hierdoor inkomsten mis. Ik dien hierbij formeel een klacht in.",
    "Op {d} is er bij de reparatie van ons dak een ruit gesneuveld en de schade is niet gemeld. Wij hebben het zelf ontdekt. Wij willen dat de schade vergoed wordt en dat u uitlegt waarom niemand iets zei.",
]
CLOSINGS = ["Met vriendelijke groet,", "Groet,", "Kind regards,", "Met boze groet,"]
NAMES = ["J. de Vries", "Anna Jansen", "Mohammed El Amrani", "Peter Bakker", "Sanne Visser", "Tom Smit"]
SUBJECTS = ["Klacht", "Monteur niet gekomen", "Factuur klopt niet", "Complaint", "Beschadigd pakket", "Geen internet"]
rnd = random.Random(42 + first)
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64(k):
    return "".join(rnd.choice(B64) for _ in range(k))


def folded(name, value, width=76):
    """A long header value folded over continuation lines."""
    out, line = [], f"{name}: "
    for part in value.split(" "):
        if len(line) + len(part) > width:
            out.append(line.rstrip())
            line = "        "
        line += part + " "
    out.append(line.rstrip())
    return "\r\n".join(out)


def qp(text):
    """Quoted-printable, soft-wrapped at 76 columns."""
    out = []
    for para in text.split("\r\n"):
        enc = "".join(c if (32 <= ord(c) < 127 and c != "=") else "".join(f"={b:02X}" for b in c.encode()) for c in para)
        while len(enc) > 75:
            cut = 75
            eq = enc.rfind("=", cut - 2, cut)  # never split an =XX escape
            if eq != -1:
                cut = eq
            out.append(enc[:cut] + "=")
            enc = enc[cut:]
        out.append(enc)
    return "\r\n".join(out)


def received(i, sender_domain):
    hops = [
        f"Received: from mx.org.example.test (mx.org.example.test [192.0.2.25])\r\n\tby mail.org.example.test (Postfix) with ESMTPS id 4Q{b64(10)}\r\n\tfor <{mailbox}>; Mon, 30 Nov 2026 10:00:0{i % 10} +0100 (CET)",
        f"Received: from mail-sor-f41.{sender_domain} (mail-sor-f41.{sender_domain} [198.51.100.{i % 250}])\r\n\tby mx.org.example.test (Postfix) with ESMTPS id 4Q{b64(10)}\r\n\tfor <{mailbox}>; Mon, 30 Nov 2026 10:00:0{i % 10} +0100 (CET)",
        f"Received: by mail-sor-f41.{sender_domain} with SMTP id {b64(12)}.{i}\r\n\tfor <{mailbox}>; Mon, 30 Nov 2026 01:00:0{i % 10} -0800 (PST)",
    ]
    return "\r\n".join(hops)


def gmail(i, name, sender, subj, text):
    dkim = folded("DKIM-Signature", f"v=1; a=rsa-sha256; c=relaxed/relaxed; d=voorbeeld.test; s=20230601; t=1796000000; x=1796604800; darn={mailbox.split('@')[1]}; h=to:subject:message-id:date:from:mime-version:from:to:cc:subject:date:message-id:reply-to; bh={b64(43)}=; b={b64(342)}==")
    extra = "\r\n".join([
        folded("X-Google-DKIM-Signature", f"v=1; a=rsa-sha256; c=relaxed/relaxed; d=1e100.net; s=20230601; t=1796000000; x=1796604800; h=to:subject:message-id:date:from:mime-version:x-gm-message-state:from:to:cc:subject:date:message-id:reply-to; bh={b64(43)}=; b={b64(342)}=="),
        folded("X-Gm-Message-State", f"AOJu0Y{b64(120)}"),
        folded("X-Google-Smtp-Source", f"AGHT+IF{b64(80)}"),
        folded("X-Received", f"by 2002:a05:6512:{b64(4)} with SMTP id {b64(12)}.{i}; Mon, 30 Nov 2026 01:00:00 -0800 (PST)"),
    ])
    boundary = f"000000000000{b64(12).lower()}"
    html = '<div dir="ltr">' + "".join(f"<div>{p}</div><div><br></div>" for p in text.split("\r\n\r\n")) + "</div>"
    body = (f"--{boundary}\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{qp(text)}\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{qp(html)}\r\n\r\n--{boundary}--\r\n")
    return dkim, extra, f"multipart/alternative; boundary=\"{boundary}\"", body


OUTLOOK_STYLE = ("<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n<meta name=\"Generator\" content=\"Microsoft Word 15 (filtered medium)\">\r\n<style><!--\r\n"
                 "/* Font Definitions */\r\n@font-face\r\n\t{font-family:\"Cambria Math\";\r\n\tpanose-1:2 4 5 3 5 4 6 3 2 4;}\r\n@font-face\r\n\t{font-family:Calibri;\r\n\tpanose-1:2 15 5 2 2 2 4 3 2 4;}\r\n@font-face\r\n\t{font-family:Aptos;}\r\n"
                 "/* Style Definitions */\r\np.MsoNormal, li.MsoNormal, div.MsoNormal\r\n\t{margin:0cm;\r\n\tfont-size:12.0pt;\r\n\tfont-family:\"Aptos\",sans-serif;\r\n\tmso-ligatures:standardcontextual;\r\n\tmso-fareast-language:EN-US;}\r\n"
                 "a:link, span.MsoHyperlink\r\n\t{mso-style-priority:99;\r\n\tcolor:#467886;\r\n\ttext-decoration:underline;}\r\nspan.EmailStyle17\r\n\t{mso-style-type:personal-compose;\r\n\tfont-family:\"Aptos\",sans-serif;\r\n\tcolor:windowtext;}\r\n"
                 ".MsoChpDefault\r\n\t{mso-style-type:export-only;\r\n\tfont-size:10.0pt;\r\n\tmso-ligatures:none;}\r\n@page WordSection1\r\n\t{size:612.0pt 792.0pt;\r\n\tmargin:72.0pt 72.0pt 72.0pt 72.0pt;}\r\ndiv.WordSection1\r\n\t{page:WordSection1;}\r\n--></style>"
                 "<!--[if gte mso 9]><xml>\r\n<o:shapedefaults v:ext=\"edit\" spidmax=\"1026\" />\r\n</xml><![endif]--><!--[if gte mso 9]><xml>\r\n<o:shapelayout v:ext=\"edit\">\r\n<o:idmap v:ext=\"edit\" data=\"1\" />\r\n</o:shapelayout></xml><![endif]-->\r\n</head>\r\n")


def outlook(i, name, sender, subj, text):
    extra = "\r\n".join([
        f"Thread-Topic: {subj}",
        f"Thread-Index: AQH{b64(40)}==",
        "Accept-Language: nl-NL, en-US",
        "Content-Language: nl-NL",
        "X-MS-Has-Attach:",
        "X-MS-TNEF-Correlator:",
        folded("X-MS-Exchange-Organization-AuthAs", "Anonymous"),
        folded("X-Microsoft-Antispam-Message-Info", b64(600)),
        folded("X-Forefront-Antispam-Report", f"CIP:255.255.255.255;CTRY:;LANG:nl;SCL:1;SRV:;IPV:NLI;SFV:NSPM;H:{b64(20)};PTR:;CAT:NONE;SFS:(13230040)(366016)(1800799024)(376014)(38070700018);DIR:OUT;SFP:1101;"),
    ])
    boundary = f"_000_{b64(30).replace('+', 'x').replace('/', 'y')}_"
    paras = "".join(f"<p class=\"MsoNormal\"><span lang=\"NL\">{p}<o:p></o:p></span></p>\r\n<p class=\"MsoNormal\"><span lang=\"NL\"><o:p>&nbsp;</o:p></span></p>\r\n" for p in text.split("\r\n\r\n"))
    html = f"<html xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:office:office\" xmlns:w=\"urn:schemas-microsoft-com:office:word\" xmlns:m=\"http://schemas.microsoft.com/office/2004/12/omml\" xmlns=\"http://www.w3.org/TR/REC-html40\">\r\n{OUTLOOK_STYLE}<body lang=\"NL\" link=\"#467886\" vlink=\"#96607D\" style=\"word-wrap:break-word\">\r\n<div class=\"WordSection1\">\r\n{paras}</div>\r\n</body>\r\n</html>"
    body = (f"--{boundary}\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{qp(text)}\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{qp(html)}\r\n\r\n--{boundary}--\r\n")
    return None, extra, f"multipart/alternative; boundary=\"{boundary}\"", body


def message(i):
    name = rnd.choice(NAMES)
    sender = f"klant{i}-{tag}@voorbeeld.test"
    d = f"{rnd.randint(1, 28)} november 2026"
    text = f"{rnd.choice(OPENINGS)}\r\n\r\n{rnd.choice(BODIES).format(d=d)}\r\n\r\n{rnd.choice(CLOSINGS)}\r\n{name}\r\nTel. 06-{rnd.randint(10000000, 99999999)}"
    subj = rnd.choice(SUBJECTS)
    kind = rnd.random()
    auth = (f"Authentication-Results: mx.org.example.test; dkim=pass (2048-bit key) header.d=voorbeeld.test; spf=pass smtp.mailfrom=voorbeeld.test; dmarc=pass header.from=voorbeeld.test\r\n"
            f"Return-Path: <{sender}>\r\n")
    if kind < 0.5:
        dkim, extra, ctype, body = gmail(i, name, sender, subj, text)
        cte = ""
    elif kind < 0.83:
        dkim, extra, ctype, body = outlook(i, name, sender, subj, text)
        cte = ""
    else:
        dkim, extra, ctype, body = None, "User-Agent: Mozilla Thunderbird", "text/plain; charset=UTF-8; format=flowed", text + "\r\n"
        cte = "Content-Transfer-Encoding: 8bit\r\n"
    head = (f"{received(i, 'voorbeeld.test')}\r\n{auth}"
            + (dkim + "\r\n" if dkim else "")
            + f"From: {name} <{sender}>\r\nTo: {mailbox}\r\nSubject: {subj}\r\n"
            f"Message-ID: <bench-{i}-{tag}@voorbeeld.test>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0100\r\n"
            f"{extra}\r\nMIME-Version: 1.0\r\nContent-Type: {ctype}\r\n{cte}")
    return sender, (head + "\r\n" + body).encode("utf-8")


if maildir:
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    host, now = "bench", int(time.time())
    for i in range(first, first + n):
        _, raw = message(i)
        name = f"{now}.P{os.getpid()}Q{i}.{host}"
        tmp = os.path.join(maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(raw)
        os.rename(tmp, os.path.join(maildir, "new", name))
else:
    c = smtplib.LMTP("127.0.0.1", port)
    for i in range(first, first + n):
        sender, raw = message(i)
        c.sendmail(sender, [mailbox], raw)
    c.quit()
