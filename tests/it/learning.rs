//! Learning from complaints, through the real mail stack and the binary:
//! the weekly agenda arrives on Monday in a simulated week, the HTML report
//! renders its charts in headless Chromium, and the retention period and
//! erasure requests remove a complainant's personal data.

use crate::harness::*;
use std::path::PathBuf;
use std::time::Duration;

/// `klachtd once` at a simulated moment.
fn once_at(inst: &Instance, now: &str) -> String {
    let out = inst.klachtd_env(&["once"], &[("KLACHTD_FAKE_NOW", now)]);
    assert!(
        out.status.success(),
        "once at {now}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn subjects(addr: &str) -> Vec<String> {
    fetch_all(addr, "INBOX")
        .iter()
        .map(|m| subject_and_text(m).0)
        .collect()
}

/// The handler answers the assignment notice of the case about `subject`
/// with `text` (commands), and it is processed at `now`.
fn handler_writes(inst: &Instance, coordinator: &str, subject: &str, text: &str, now: &str) {
    let find = || {
        fetch_all(coordinator, "INBOX").into_iter().find(|m| {
            let (s, body) = subject_and_text(m);
            s.contains("toegewezen") && body.contains(subject)
        })
    };
    // Postfix delivers the notice a moment after the cycle that sent it.
    assert!(wait_until(Duration::from_secs(10), || find().is_some()));
    let notice = find().expect("assignment notice");
    let reply_to = header(&notice, "Reply-To")
        .unwrap()
        .trim_matches(['<', '>'])
        .to_string();
    let before = fetch_all(&inst.complaints, "INBOX").len();
    smtp_send(
        coordinator,
        &[&reply_to],
        &format!(
            "From: {coordinator}\r\nTo: {reply_to}\r\nSubject: Re: x\r\nMessage-ID: <h{}-{}@org.example.test>\r\nIn-Reply-To: {}\r\n\r\n{text}\r\n",
            fastrand::u32(..),
            inst.tag,
            header(&notice, "Message-ID").unwrap()
        ),
    );
    assert!(wait_until(Duration::from_secs(10), || fetch_all(
        &inst.complaints,
        "INBOX"
    )
    .len()
        > before));
    once_at(inst, now);
}

#[test]
fn the_weekly_agenda_arrives_on_monday_in_the_simulated_week() {
    let tag = unique("agenda");
    let management = format!("mt-{tag}@org.example.test");
    let inst = Instance::with(
        "agenda",
        Options {
            staff_extra: format!(
                "management = [\"{management}\"]\nroles = {{ kwaliteitsmanager = \"kwaliteit-{tag}@org.example.test\" }}"
            ),
            extra: "[policy]\npreset = \"glaspunt\"\n".into(),
            ..Options::default()
        },
    );
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    // Wednesday 18 November 2026: two complaints come in.
    inst.send_complaint(
        &inst.customer(1),
        "a1",
        "Ruit lekt",
        "De nieuwe ruit lekt bij regen. Dit is al de tweede keer, ik ben het zat.\n\nJan Smit\nKerkstraat 18, 6711 AB Ede\n06 12345678",
    );
    inst.send_complaint(
        &inst.customer(2),
        "a2",
        "Monteur niet gekomen",
        "De monteur is niet gekomen en niemand heeft afgebeld. Onacceptabel.\n\nPiet Bakker\nDorpsstraat 3, 6711 AC Ede\n06 87654321",
    );
    assert!(wait_until(Duration::from_secs(10), || fetch_all(
        &inst.complaints,
        "INBOX"
    )
    .len()
        >= 2));
    once_at(&inst, "2026-11-18T10:00:00+01:00");
    let cases = inst.cases();
    assert_eq!(cases.len(), 2);
    // Sunday: no meeting yet.
    once_at(&inst, "2026-11-22T12:00:00+01:00");
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(
        count_containing(&subjects(&coordinator), "Agenda klachtenoverleg"),
        0
    );
    // Monday 23 November, 08:05: the agenda.
    once_at(&inst, "2026-11-23T08:05:00+01:00");
    let agenda = |addr: &str| {
        fetch_all(addr, "INBOX")
            .into_iter()
            .filter(|m| subject_and_text(m).0.contains("Agenda klachtenoverleg"))
            .collect::<Vec<_>>()
    };
    assert!(wait_until(Duration::from_secs(10), || !agenda(
        &coordinator
    )
    .is_empty()));
    assert!(wait_until(Duration::from_secs(10), || !agenda(&management).is_empty()));
    let mail = &agenda(&coordinator)[0];
    let (subject, text) = subject_and_text(mail);
    assert!(subject.contains("2026-11-23"), "{subject}");
    for c in &cases {
        let id = c["id"].as_str().unwrap();
        assert!(text.contains(id), "{id} not in the agenda:\n{text}");
    }
    assert!(
        text.contains("## Nieuwe klachten") && text.contains("| Zaak |"),
        "{text}"
    );
    assert!(
        text.contains("Binnengekomen sinds 2026-11-16: **2**"),
        "{text}"
    );
    assert_eq!(
        header(mail, "Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    // Later that Monday: not again.
    once_at(&inst, "2026-11-23T11:00:00+01:00");
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(agenda(&coordinator).len(), 1);
}

/// Chromium's binary, if installed.
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .map(|b| PathBuf::from("/usr/bin").join(b))
        .find(|p| p.exists())
}

#[test]
fn the_html_report_shows_its_charts_in_headless_chromium() {
    let inst = Instance::new("html");
    for (i, (subject, body)) in [
        ("Factuur te hoog", "Op mijn factuur staat twee keer hetzelfde bedrag. Ik wil mijn geld terug, dit is onacceptabel."),
        ("Monteur onbeleefd", "De monteur was onbeleefd en schreeuwde tegen mij. Ik wil een klacht indienen."),
        ("Levering te laat", "Mijn bestelling is al drie weken te laat en niemand reageert op mijn mails. Dit is een klacht."),
    ]
    .iter()
    .enumerate()
    {
        inst.send_complaint(&inst.customer(i as u32 + 1), &format!("h{i}"), subject, body);
    }
    inst.once_after(3);
    let html = inst.dir.path().join("rapport.html");
    let out = inst.klachtd(&[
        "report",
        "--from",
        "2020-01-01",
        "--to",
        "2035-12-31",
        "--format",
        "html",
        "--anonymise",
        "--output",
        html.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.matches("<svg").count() >= 4, "{text}");
    assert!(!text.contains("<script"), "self-contained, no scripts");
    let Some(browser) = chromium() else {
        panic!("chromium is not installed; scripts/test installs it (apt-get install chromium)");
    };
    // The screenshot is kept as a test artifact.
    let artifacts = root().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("report.png");
    let _ = std::fs::remove_file(&shot);
    let profile = inst.dir.path().join("chromium-profile");
    let out = std::process::Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--no-first-run",
            "--window-size=1200,1400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("run chromium");
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The charts are drawn: the page has many pixels of the bar colour
    // (#2b6cb0), which only the SVG charts use.
    let png = std::fs::read(&shot).unwrap();
    let (w, h, pixels) = decode_png(&png);
    assert!(w >= 1000 && h >= 1000, "{w}x{h}");
    let bar = pixels
        .chunks(4)
        .filter(|p| {
            p[0].abs_diff(0x2b) < 12 && p[1].abs_diff(0x6c) < 12 && p[2].abs_diff(0xb0) < 12
        })
        .count();
    assert!(
        bar > 2000,
        "only {bar} pixels of the chart colour in {}",
        shot.display()
    );
}

/// Decodes an 8-bit RGB(A) PNG without interlacing (what Chromium writes)
/// into RGBA pixels.
fn decode_png(png: &[u8]) -> (u32, u32, Vec<u8>) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let mut pos = 8;
    let (mut w, mut h, mut channels) = (0u32, 0u32, 4usize);
    let mut idat = Vec::new();
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &png[pos + 4..pos + 8];
        let data = &png[pos + 8..pos + 8 + len];
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes(data[0..4].try_into().unwrap());
                h = u32::from_be_bytes(data[4..8].try_into().unwrap());
                assert_eq!(data[8], 8, "bit depth");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    t => panic!("colour type {t}"),
                };
                assert_eq!(data[12], 0, "interlaced");
            }
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => break,
            _ => {}
        }
        pos += 12 + len;
    }
    let raw = inflate(&idat);
    let stride = w as usize * channels;
    let mut out = Vec::with_capacity(w as usize * h as usize * 4);
    let mut prev = vec![0u8; stride];
    for row in 0..h as usize {
        let f = raw[row * (stride + 1)];
        let mut cur = raw[row * (stride + 1) + 1..(row + 1) * (stride + 1)].to_vec();
        for i in 0..stride {
            let a = if i >= channels { cur[i - channels] } else { 0 };
            let b = prev[i];
            let c = if i >= channels { prev[i - channels] } else { 0 };
            let add = match f {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((a as u16 + b as u16) / 2) as u8,
                4 => {
                    let p = a as i16 + b as i16 - c as i16;
                    let (pa, pb, pc) = (
                        (p - a as i16).abs(),
                        (p - b as i16).abs(),
                        (p - c as i16).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                _ => panic!("filter {f}"),
            };
            cur[i] = cur[i].wrapping_add(add);
        }
        for px in cur.chunks(channels) {
            out.extend_from_slice(&px[..3]);
            out.push(if channels == 4 { px[3] } else { 255 });
        }
        prev = cur;
    }
    (w, h, out)
}

/// zlib inflate (stored, fixed and dynamic Huffman blocks).
fn inflate(data: &[u8]) -> Vec<u8> {
    struct Bits<'a> {
        d: &'a [u8],
        pos: usize,
        bit: u32,
    }
    impl Bits<'_> {
        fn get(&mut self, n: u32) -> u32 {
            let mut v = 0;
            for i in 0..n {
                let byte = self.d[self.pos];
                v |= (((byte >> self.bit) & 1) as u32) << i;
                self.bit += 1;
                if self.bit == 8 {
                    self.bit = 0;
                    self.pos += 1;
                }
            }
            v
        }
    }
    fn table(lengths: &[u8]) -> Vec<(u16, u16, u16)> {
        // (code, length, symbol), canonical Huffman.
        let mut codes = Vec::new();
        let mut code = 0u16;
        for len in 1..=15u16 {
            for (sym, l) in lengths.iter().enumerate() {
                if *l as u16 == len {
                    codes.push((code, len, sym as u16));
                    code += 1;
                }
            }
            code <<= 1;
        }
        codes
    }
    fn decode(b: &mut Bits, t: &[(u16, u16, u16)]) -> u16 {
        let (mut code, mut len) = (0u16, 0u16);
        loop {
            code = (code << 1) | b.get(1) as u16;
            len += 1;
            if let Some(e) = t.iter().find(|e| e.1 == len && e.0 == code) {
                return e.2;
            }
            assert!(len < 16, "bad Huffman code");
        }
    }
    const LBASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
        131, 163, 195, 227, 258,
    ];
    const LEXTRA: [u32; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    const DBASE: [u32; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ];
    const DEXTRA: [u32; 30] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
        13, 13,
    ];
    let mut b = Bits {
        d: &data[2..],
        pos: 0,
        bit: 0,
    };
    let mut out: Vec<u8> = Vec::new();
    loop {
        let last = b.get(1);
        match b.get(2) {
            0 => {
                if b.bit != 0 {
                    b.bit = 0;
                    b.pos += 1;
                }
                let len = u16::from_le_bytes([b.d[b.pos], b.d[b.pos + 1]]) as usize;
                b.pos += 4;
                out.extend_from_slice(&b.d[b.pos..b.pos + len]);
                b.pos += len;
            }
            kind => {
                let (lit, dist) = if kind == 1 {
                    let mut l = [8u8; 288];
                    l[144..256].fill(9);
                    l[256..280].fill(7);
                    (table(&l), table(&[5u8; 30]))
                } else {
                    let hlit = b.get(5) as usize + 257;
                    let hdist = b.get(5) as usize + 1;
                    let hclen = b.get(4) as usize + 4;
                    const ORDER: [usize; 19] = [
                        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                    ];
                    let mut cl = [0u8; 19];
                    for o in ORDER.iter().take(hclen) {
                        cl[*o] = b.get(3) as u8;
                    }
                    let ct = table(&cl);
                    let mut lens = Vec::new();
                    while lens.len() < hlit + hdist {
                        match decode(&mut b, &ct) {
                            s @ 0..=15 => lens.push(s as u8),
                            16 => {
                                let p = *lens.last().unwrap();
                                for _ in 0..3 + b.get(2) {
                                    lens.push(p);
                                }
                            }
                            17 => lens.extend(std::iter::repeat_n(0, 3 + b.get(3) as usize)),
                            _ => lens.extend(std::iter::repeat_n(0, 11 + b.get(7) as usize)),
                        }
                    }
                    (table(&lens[..hlit]), table(&lens[hlit..]))
                };
                loop {
                    let sym = decode(&mut b, &lit);
                    if sym < 256 {
                        out.push(sym as u8);
                    } else if sym == 256 {
                        break;
                    } else {
                        let i = (sym - 257) as usize;
                        let len = LBASE[i] as usize + b.get(LEXTRA[i]) as usize;
                        let d = decode(&mut b, &dist) as usize;
                        let dist = DBASE[d] as usize + b.get(DEXTRA[d]) as usize;
                        let start = out.len() - dist;
                        for k in 0..len {
                            out.push(out[start + k]);
                        }
                    }
                }
            }
        }
        if last == 1 {
            break;
        }
    }
    out
}

#[test]
fn retention_and_erasure_remove_the_complainants_data() {
    let inst = Instance::with(
        "privacy",
        Options {
            extra: "[policy]\npreset = \"generiek\"\n".into(),
            ..Options::default()
        },
    );
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    let (closed, open) = (inst.customer(1), inst.customer(2));
    inst.send_complaint(
        &closed,
        "p1",
        "Lekkage na reparatie",
        "Na de reparatie lekt de ruit nog steeds. Ik ben hier erg ontevreden over.\n\nKarin Veldhuis\nLindelaan 4, 7201 AB Zutphen\n06 11223344",
    );
    inst.send_complaint(
        &open,
        "p2",
        "Factuur dubbel",
        "Ik heb twee keer moeten betalen voor dezelfde levering. Onacceptabel.\n\nTheo de Wit",
    );
    assert!(wait_until(Duration::from_secs(10), || fetch_all(
        &inst.complaints,
        "INBOX"
    )
    .len()
        >= 2));
    once_at(&inst, "2026-01-05T10:00:00+01:00");
    handler_writes(
        &inst,
        &coordinator,
        "Lekkage na reparatie",
        "#in-behandeling\n#gegrond de ruit is niet goed gekit\n#oorzaak kitwerk niet gecontroleerd\n#maatregel controle van kitwerk door een tweede monteur\n#opgelost\n#sluiten",
        "2026-01-07T10:00:00+01:00",
    );
    let cases = inst.cases();
    let by_subject = |s: &str| {
        cases
            .iter()
            .find(|c| c["subject"].as_str().unwrap_or("").contains(s))
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let closed_id = by_subject("Lekkage");
    let export = |who: &str| -> serde_json::Value {
        let out = inst.klachtd(&["privacy", "export", who]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Before the retention period: everything about them, raw messages included.
    let before = export(&closed);
    assert_eq!(before["cases"].as_array().unwrap().len(), 1);
    assert!(!before["messages"].as_array().unwrap().is_empty());
    assert!(!before["letters"].as_array().unwrap().is_empty());
    assert!(before.to_string().contains("Veldhuis"));
    // The mail server's processed folder holds the complaints, the staff
    // mail and the witness copies of the letters.
    let on_server = |needle: &str| {
        fetch_all(&inst.complaints, "Verwerkt")
            .iter()
            .filter(|m| String::from_utf8_lossy(m).contains(needle))
            .count()
    };
    assert!(on_server("Lekkage na reparatie") >= 3);
    let subjects: Vec<String> = fetch_all(&inst.complaints, "Verwerkt")
        .iter()
        .map(|m| header(m, "Subject").unwrap_or_default())
        .collect();
    assert!(on_server("Factuur dubbel") >= 1, "{subjects:?}");
    // An open case refuses erasure, with the reason.
    let refused = inst.klachtd(&["privacy", "erase", &open]);
    assert_eq!(refused.status.code(), Some(3));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("open cases") && why.contains("--force"),
        "{why}"
    );
    assert_eq!(export(&open)["cases"].as_array().unwrap().len(), 1);

    // Two years and a bit later: the retention period (2 jaar) has ended.
    once_at(&inst, "2028-02-01T10:00:00+01:00");
    let after = export(&closed);
    for part in ["cases", "messages", "letters"] {
        assert!(
            after[part].as_array().unwrap().is_empty(),
            "{part} still holds data: {after}"
        );
    }
    // Their copies on the mail server went with them; the open case's stay.
    assert_eq!(on_server("Lekkage na reparatie"), 0);
    assert_eq!(on_server("Veldhuis"), 0);
    let subjects: Vec<String> = fetch_all(&inst.complaints, "Verwerkt")
        .iter()
        .map(|m| header(m, "Subject").unwrap_or_default())
        .collect();
    assert!(on_server("Factuur dubbel") >= 2, "{subjects:?}");
    let show = inst.klachtd(&["cases", "show", &closed_id, "--json"]);
    let shown = String::from_utf8_lossy(&show.stdout);
    // Needles long enough not to occur by chance in timestamps or ids.
    for gone in [
        "Veldhuis",
        "Lekkage",
        &closed,
        "7201 AB",
        "Lindelaan",
        "Zutphen",
        "11223344",
    ] {
        assert!(!shown.contains(gone), "{gone} still in the case: {shown}");
    }
    // The statistics remain.
    let report = inst.klachtd(&[
        "report",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--format",
        "json",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(r["cases"], 2);
    assert_eq!(r["justified"], 1);
    assert_eq!(r["causes"][0]["item"], "kitwerk niet gecontroleerd");
    assert_eq!(r["measures"].as_array().unwrap().len(), 1);
    // The person writes again, replying to their old acknowledgement: the
    // anonymised case takes nothing in; a fresh case opens.
    let ack = fetch_all(&closed, "INBOX")
        .into_iter()
        .find(|m| subject_and_text(m).0.contains("Ontvangstbevestiging"))
        .expect("acknowledgement");
    let again = format!(
        "In-Reply-To: {}\r\n{}",
        header(&ack, "Message-ID").unwrap(),
        crate::harness::complaint(
            &closed,
            &inst.complaints,
            &format!("again-{}@example.test", inst.tag),
            &subject_and_text(&ack).0.replace("Ontvangstbevestiging", "Re: Ontvangstbevestiging"),
            "De ruit lekt opnieuw, nu bij de andere hoek. Ik wil dat dit hersteld wordt.\n\nKarin Veldhuis",
        )
    );
    smtp_send(&closed, &[&inst.complaints], &again);
    assert!(wait_until(Duration::from_secs(10), || !fetch_all(
        &inst.complaints,
        "INBOX"
    )
    .is_empty()));
    once_at(&inst, "2028-02-02T10:00:00+01:00");
    let show = inst.klachtd(&["cases", "show", &closed_id, "--json"]);
    assert!(!String::from_utf8_lossy(&show.stdout).contains("Veldhuis"));
    let fresh = export(&closed);
    assert_eq!(fresh["cases"].as_array().unwrap().len(), 1, "{fresh}");
    assert_ne!(fresh["cases"][0]["case"]["id"], closed_id.as_str());
    // The open case keeps its data: retention applies to closed cases only.
    assert_eq!(export(&open)["cases"].as_array().unwrap().len(), 1);
    // Forced erasure of the open case.
    let erased = inst.klachtd(&["privacy", "erase", &open, "--force"]);
    assert!(
        erased.status.success(),
        "{}",
        String::from_utf8_lossy(&erased.stderr)
    );
    assert!(
        String::from_utf8_lossy(&erased.stdout).contains("from the mail server"),
        "{}",
        String::from_utf8_lossy(&erased.stdout)
    );
    let left: Vec<String> = fetch_all(&inst.complaints, "Verwerkt")
        .iter()
        .filter(|m| String::from_utf8_lossy(m).contains("Factuur dubbel"))
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .collect();
    assert_eq!(on_server("Factuur dubbel"), 0, "{left:#?}");
    assert!(export(&open)["cases"].as_array().unwrap().is_empty());
    let raw_left = inst.klachtd(&["privacy", "export", &open]);
    assert!(!String::from_utf8_lossy(&raw_left.stdout).contains("Theo de Wit"));
}

#[test]
fn server_copies_go_by_their_exact_message_id() {
    use klachtd::config::{Mailbox, Secret, TlsMode};
    use klachtd::store::{Batch, Store};
    let s = stack();
    let user = format!("{}@example.test", unique("copies"));
    let mailbox = Mailbox {
        host: "127.0.0.1".into(),
        port: s.imap_port,
        tls: TlsMode::None,
        ca_file: None,
        username: user.clone(),
        password: Secret::new(s.password.clone()),
        folder: "INBOX".into(),
        processed_folder: "Verwerkt".into(),
        idle: false,
        poll_interval: Duration::from_secs(1),
        timeout: Duration::from_secs(10),
        idle_renew: Duration::from_secs(60),
    };
    let watcher = klachtd::intake::watcher::Watcher::new(&mailbox).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let session = watcher.connect().await.unwrap();
        let _ = session.logout().await;
    });
    let msg = |id: &str| {
        format!("From: a@example.test\r\nSubject: {id}\r\nMessage-ID: <{id}>\r\n\r\nx\r\n")
            .into_bytes()
    };
    // The server's HEADER search matches substrings: near misses must stay.
    append_all(
        &user,
        "Verwerkt",
        &[msg("ab@x"), msg("xab@x"), msg("ab@x.y"), msg("ab@x")],
    );
    append_all(&user, "INBOX", &[msg("ab@x"), msg("other@x")]);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut batch = Batch::new();
    klachtd::intake::server_copies::queue_server_copy(&mut batch, "j1", "ab@x");
    store.commit(&batch).unwrap();

    let deleted = rt
        .block_on(watcher.delete_server_copies_once(&store))
        .unwrap();
    assert_eq!(deleted, 3);
    let left = |folder: &str| -> Vec<String> {
        fetch_all(&user, folder)
            .iter()
            .map(|m| subject_and_text(m).0)
            .collect()
    };
    assert_eq!(left("Verwerkt"), ["xab@x", "ab@x.y"]);
    assert_eq!(left("INBOX"), ["other@x"]);
    assert!(klachtd::intake::server_copies::server_copies(&store)
        .unwrap()
        .is_empty());
    // Nothing queued: no connection at all.
    assert_eq!(
        rt.block_on(watcher.delete_server_copies_once(&store))
            .unwrap(),
        0
    );
}

#[test]
fn the_running_daemon_deletes_server_copies_when_retention_ends() {
    let inst = Instance::with(
        "retention-run",
        Options {
            extra: "[policy]\npreset = \"generiek\"\n".into(),
            ..Options::default()
        },
    );
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "r1",
        "Deur klemt na plaatsing",
        "De nieuwe voordeur klemt sinds de plaatsing en sluit niet goed. Ik ben ontevreden.\n\nPiet Hendriksen",
    );
    assert!(wait_until(Duration::from_secs(10), || !fetch_all(
        &inst.complaints,
        "INBOX"
    )
    .is_empty()));
    once_at(&inst, "2026-01-05T10:00:00+01:00");
    handler_writes(
        &inst,
        &coordinator,
        "Deur klemt na plaatsing",
        "#in-behandeling\n#gegrond de deur is scheef geplaatst\n#opgelost\n#sluiten",
        "2026-01-07T10:00:00+01:00",
    );
    let on_server = || {
        fetch_all(&inst.complaints, "Verwerkt")
            .iter()
            .filter(|m| String::from_utf8_lossy(m).contains("Hendriksen"))
            .count()
    };
    assert!(on_server() >= 2);
    // The daemon, two years later: retention runs in its work loop; the
    // watcher deletes the copies on its next round (woken by the retention
    // run, or by arriving mail such as the half-year report's witness copy;
    // without either it would wait for the IDLE renewal, 60 s here).
    let mut daemon = inst.spawn_run_env(&[("KLACHTD_FAKE_NOW", "2028-02-01T10:00:00+01:00")]);
    let gone = wait_until(Duration::from_secs(20), || on_server() == 0);
    kill(&mut daemon, "TERM");
    let _ = daemon.wait();
    let log = std::fs::read_to_string(inst.dir.path().join("run.log")).unwrap_or_default();
    assert!(gone, "copies still on the server; daemon log:\n{log}");
    assert!(log.contains("deleted the mail server's copies"), "{log}");
}
