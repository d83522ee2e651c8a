#!/usr/bin/env python3
"""Delivers N realistic complaints into MAILBOX over Dovecot's LMTP (fast,
no SMTP queue in between): bench/fill.py LMTP_PORT MAILBOX N TAG.
The texts are varied Dutch and English complaints written for the bench."""
import smtplib, sys, random

port, mailbox, n, tag = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
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
rnd = random.Random(42)
c = smtplib.LMTP("127.0.0.1", port)
for i in range(n):
    name = rnd.choice(NAMES)
    sender = f"klant{i}-{tag}@voorbeeld.test"
    d = f"{rnd.randint(1, 28)} november 2026"
    body = f"{rnd.choice(OPENINGS)}\r\n\r\n{rnd.choice(BODIES).format(d=d)}\r\n\r\n{rnd.choice(CLOSINGS)}\r\n{name}\r\nTel. 06-{rnd.randint(10000000, 99999999)}\r\n"
    subj = rnd.choice(["Klacht", "Monteur niet gekomen", "Factuur klopt niet", "Complaint", "Beschadigd pakket", "Geen internet"])
    msg = (f"From: {name} <{sender}>\r\nTo: {mailbox}\r\nSubject: {subj}\r\n"
           f"Message-ID: <bench-{i}-{tag}@voorbeeld.test>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0100\r\n"
           f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}")
    c.sendmail(sender, [mailbox], msg.encode("utf-8"))
c.quit()
