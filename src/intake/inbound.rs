//! Inbound messages: a raw message parsed (mail-parser) into the few facts the
//! processor decides on. Parsing is total: odd charsets, broken MIME and
//! missing headers give empty fields, never a panic or an error.

use crate::address;
use chrono::{DateTime, TimeZone, Utc};
use mail_parser::{MessageParser, MimeHeaders};
use serde::{Deserialize, Serialize};

/// mail-parser's default header parsers, except that `Received` chains and
/// headers of no registered kind (DKIM and ARC signatures, X- headers) are
/// skipped rather than parsed into values nothing reads: the ones klachtd
/// keeps are read raw by offset (`headers_raw`). With any parser
/// configured, mail-parser uses only the configured ones, so the whole
/// default table is repeated here.
static PARSER: std::sync::LazyLock<MessageParser> = std::sync::LazyLock::new(|| {
    use mail_parser::HeaderName as H;
    type Add = fn(MessageParser, H<'static>) -> MessageParser;
    let groups: [(&[H<'static>], Add); 3] = [
        (
            &[
                H::Subject,
                H::Comments,
                H::ContentDescription,
                H::ContentLocation,
                H::ContentTransferEncoding,
            ],
            |p, h| p.header_text(h),
        ),
        (
            &[
                H::From,
                H::To,
                H::Cc,
                H::Bcc,
                H::ReplyTo,
                H::Sender,
                H::ResentTo,
                H::ResentFrom,
                H::ResentBcc,
                H::ResentCc,
                H::ResentSender,
                H::ListArchive,
                H::ListHelp,
                H::ListId,
                H::ListOwner,
                H::ListPost,
                H::ListSubscribe,
                H::ListUnsubscribe,
            ],
            |p, h| p.header_address(h),
        ),
        (
            &[
                H::MessageId,
                H::References,
                H::InReplyTo,
                H::ReturnPath,
                H::ContentId,
                H::ResentMessageId,
            ],
            |p, h| p.header_id(h),
        ),
    ];
    let mut p = MessageParser::new();
    for (headers, add) in groups {
        for h in headers {
            p = add(p, h.clone());
        }
    }
    p.header_date(H::Date)
        .header_date(H::ResentDate)
        .header_comma_separated(H::Keywords)
        .header_comma_separated(H::ContentLanguage)
        .header_content_type(H::ContentType)
        .header_content_type(H::ContentDisposition)
        .ignore_header(H::Received)
        .default_header_ignore()
});

/// Metadata of one attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// File name as given (header-safe).
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: u64,
    /// False when it exceeded `limits.max_attachment_bytes` and was not accepted.
    #[serde(default = "yes")]
    pub kept: bool,
}

fn yes() -> bool {
    true
}

/// A parsed inbound message.
#[derive(Debug, Clone, Default)]
pub struct Inbound {
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// Sender address (lower case).
    pub from: Option<String>,
    /// Sender display name.
    pub from_name: Option<String>,
    /// `Reply-To` address, if any.
    pub reply_to: Option<String>,
    /// `To` addresses.
    pub to: Vec<String>,
    /// `Cc` addresses.
    pub cc: Vec<String>,
    /// Delivery addresses the MTA recorded (`Delivered-To`, `X-Original-To`, `Envelope-To`).
    pub delivered_to: Vec<String>,
    /// Subject (decoded, raw; make it header-safe before reuse).
    pub subject: String,
    /// `Date:` of the message.
    pub date: Option<DateTime<Utc>>,
    /// `In-Reply-To` ids.
    pub in_reply_to: Vec<String>,
    /// `References` ids.
    pub references: Vec<String>,
    /// Plain text of the body (HTML converted when there is no text part).
    pub text: String,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// Headers relevant to loop detection and authentication, lower-cased names.
    pub headers: Vec<(String, String)>,
    /// `Content-Type` of the root part, e.g. `multipart/report; report-type=delivery-status`.
    pub content_type: String,
    /// Return-Path (envelope sender), `""` for the null sender.
    pub return_path: Option<String>,
    /// The first message attached whole (`message/rfc822`): a forward as
    /// attachment, or the original a DSN returns. Parsed one level deep.
    pub attached_message: Option<Box<Inbound>>,
}

/// Headers kept for loop detection, threading and authentication.
const KEPT_HEADERS: &[&str] = &[
    "from",
    "auto-submitted",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-mailer",
    "x-loop",
    "x-klachtd",
    "authentication-results",
    "feedback-type",
    "x-failed-recipients",
];

impl Inbound {
    /// Parses a raw message. Returns `None` only for input without any
    /// header (not a mail at all).
    pub fn parse(raw: &[u8]) -> Option<Inbound> {
        Self::parse_at(raw, 0)
    }

    fn parse_at(raw: &[u8], depth: u32) -> Option<Inbound> {
        let msg = PARSER.parse(raw)?;
        let first = |a: Option<&mail_parser::Address>| {
            a.and_then(|a| a.first())
                .and_then(|a| a.address.as_deref())
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
        };
        let all = |a: Option<&mail_parser::Address>| -> Vec<String> {
            a.map(|a| {
                a.iter()
                    .filter_map(|x| x.address.as_deref())
                    .map(|s| s.trim().to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default()
        };
        let ids = |v: &mail_parser::HeaderValue| -> Vec<String> {
            match v {
                mail_parser::HeaderValue::Text(t) => vec![clean_id(t)],
                mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| clean_id(t)).collect(),
                _ => Vec::new(),
            }
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect()
        };
        let mut headers = Vec::new();
        let mut delivered_to = Vec::new();
        for (name, value) in msg.headers_raw() {
            // Compared case-blind: most headers (Received, DKIM-Signature,
            // …) are neither kept nor read, and cost no lower-case copy.
            let is = |n: &str| name.eq_ignore_ascii_case(n);
            let starts = |p: &str| {
                name.get(..p.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(p))
            };
            let value = value.trim();
            if KEPT_HEADERS.iter().any(|k| is(k)) || starts("list-") || starts("x-ml") {
                headers.push((name.to_ascii_lowercase(), unfold(value)));
            }
            if is("delivered-to") || is("x-original-to") || is("envelope-to") {
                let v = value.trim_matches(['<', '>']).trim().to_ascii_lowercase();
                if !v.is_empty() {
                    delivered_to.push(v);
                }
            }
        }
        let root = msg.root_part();
        let content_type = root
            .content_type()
            .map(|ct| {
                let mut s = format!(
                    "{}/{}",
                    ct.ctype().to_ascii_lowercase(),
                    ct.subtype().unwrap_or("").to_ascii_lowercase()
                );
                if let Some(rt) = ct.attribute("report-type") {
                    s.push_str("; report-type=");
                    s.push_str(&rt.to_ascii_lowercase());
                }
                s
            })
            .unwrap_or_else(|| "text/plain".into());
        let text = msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
        let attachments = msg
            .attachments()
            .map(|p| Attachment {
                name: address::header_safe(p.attachment_name().unwrap_or("(zonder naam)"), 200),
                content_type: p
                    .content_type()
                    .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream")))
                    .unwrap_or_else(|| "application/octet-stream".into()),
                size: p.len() as u64,
                kept: true,
            })
            .collect();
        let return_path = return_path(&msg);
        let (from, from_name) = sender(&msg, return_path.as_deref());
        Some(Inbound {
            message_id: msg.message_id().map(clean_id).filter(|s| !s.is_empty()),
            from,
            from_name,
            reply_to: first(msg.reply_to()),
            to: all(msg.to()),
            cc: all(msg.cc()),
            delivered_to,
            subject: msg.subject().unwrap_or("").to_string(),
            date: msg
                .date()
                .and_then(|d| Utc.timestamp_opt(d.to_timestamp(), 0).single()),
            in_reply_to: ids(msg.in_reply_to()),
            references: ids(msg.references()),
            text,
            attachments,
            headers,
            content_type,
            return_path,
            attached_message: (depth == 0)
                .then(|| {
                    msg.attachments()
                        .find_map(|p| p.message())
                        .and_then(|inner| Inbound::parse_at(inner.raw_message(), depth + 1))
                        .map(Box::new)
                })
                .flatten(),
        })
    }

    /// Marks attachments over `limit` bytes as not kept; returns them.
    pub fn refuse_attachments_over(&mut self, limit: u64) -> Vec<Attachment> {
        let mut refused = Vec::new();
        for a in &mut self.attachments {
            if a.size > limit {
                a.kept = false;
                refused.push(a.clone());
            }
        }
        refused
    }

    /// The first value of a kept header (lower-case name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a kept header.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All recipient addresses: To, Cc and delivery headers.
    pub fn recipients(&self) -> impl Iterator<Item = &str> {
        self.to
            .iter()
            .chain(&self.cc)
            .chain(&self.delivered_to)
            .map(String::as_str)
    }

    /// Referenced Message-IDs, most direct first (In-Reply-To, then References newest first).
    pub fn referenced_ids(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.in_reply_to.iter().map(String::as_str).collect();
        for r in self.references.iter().rev() {
            if !out.contains(&r.as_str()) {
                out.push(r);
            }
        }
        out
    }
}

/// Who wrote a new message, and where answers to them go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correspondent {
    /// Their address.
    pub address: String,
    /// Their display name.
    pub name: Option<String>,
    /// Where answers go: a valid `Reply-To`, else the address.
    pub reply_address: String,
}

impl Correspondent {
    /// The writer of `m`, whose sender address is `from`.
    pub fn of(m: &Inbound, from: &str) -> Correspondent {
        Correspondent {
            address: from.to_string(),
            name: m.from_name.clone(),
            reply_address: m
                .reply_to
                .clone()
                .filter(|r| address::is_valid(r))
                .unwrap_or_else(|| from.to_string()),
        }
    }

    /// Someone known only by an address (a complaint taken by phone).
    pub fn address(addr: &str) -> Correspondent {
        Correspondent {
            address: addr.to_string(),
            name: None,
            reply_address: addr.to_string(),
        }
    }
}

/// The envelope sender (`Return-Path`), `""` for the null sender.
fn return_path(msg: &mail_parser::Message<'_>) -> Option<String> {
    match msg.return_path() {
        mail_parser::HeaderValue::Text(t) => Some(clean_id(t).to_ascii_lowercase()),
        mail_parser::HeaderValue::TextList(l) => {
            l.first().map(|t| clean_id(t).to_ascii_lowercase())
        }
        mail_parser::HeaderValue::Address(a) => Some(
            a.first()
                .and_then(|x| x.address.as_deref())
                .unwrap_or("")
                .to_ascii_lowercase(),
        ),
        _ => msg
            .header_raw("Return-Path")
            .map(|v| clean_id(v).to_ascii_lowercase()),
    }
}

/// The sender as mail clients find it, with the display name: From, else
/// an address in a From that does not parse (`Jan ( de Vries <v@…>`), else
/// Reply-To, Sender, Return-Path.
fn sender(
    msg: &mail_parser::Message<'_>,
    return_path: Option<&str>,
) -> (Option<String>, Option<String>) {
    let first = |a: Option<&mail_parser::Address>| {
        a.and_then(|a| a.first())
            .and_then(|a| a.address.as_deref())
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| address::is_valid(s))
    };
    let raw_from = msg.header_raw("From").map(unfold);
    if let Some(from) = first(msg.from()) {
        let name = msg
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.name.as_deref())
            .map(|n| address::header_safe(n, 100))
            .filter(|n| !n.is_empty());
        return (Some(from), name);
    }
    let from = raw_from
        .as_deref()
        .and_then(address_in)
        .or_else(|| first(msg.reply_to()))
        .or_else(|| first(msg.sender()))
        .or_else(|| msg.header_raw("Sender").and_then(address_in))
        .or_else(|| return_path.filter(|r| r.contains('@')).map(str::to_string));
    (from, raw_from.as_deref().and_then(name_in))
}

/// The mail address in a header value that does not parse as an address
/// list: the last `<…@…>`, else the first word with an `@`.
fn address_in(raw: &str) -> Option<String> {
    let bracketed = raw
        .rsplit('<')
        .next()
        .filter(|_| raw.contains('<'))
        .and_then(|r| r.split('>').next())
        .filter(|a| a.contains('@'));
    let word = || {
        raw.split(|c: char| {
            c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | ',' | ';' | '"')
        })
        .find(|w| w.contains('@'))
    };
    bracketed
        .or_else(word)
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| crate::address::is_valid(a))
}

/// The display name in a From that does not parse: the text before `<`
/// without brackets and quotes.
fn name_in(raw: &str) -> Option<String> {
    let before = raw.split('<').next().unwrap_or("");
    let name: String = before
        .chars()
        .filter(|c| !matches!(c, '(' | ')' | '"'))
        .collect::<String>()
        .split_whitespace()
        .filter(|w| !w.contains('@'))
        .collect::<Vec<_>>()
        .join(" ");
    Some(address::header_safe(&name, 100)).filter(|n| !n.is_empty())
}

fn clean_id(s: &str) -> String {
    s.trim().trim_matches(['<', '>']).trim().to_string()
}

fn unfold(s: &str) -> String {
    if !s.contains(['\r', '\n']) {
        return s.trim().to_string();
    }
    s.split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_facts_that_matter() {
        let raw = b"From: \"Jan Jansen\" <Jan@Voorbeeld.nl>\r\nTo: klachten@org.nl\r\nSubject: =?UTF-8?Q?Klacht_over_bezorging_=E2=82=AC?=\r\nMessage-ID: <abc@voorbeeld.nl>\r\nIn-Reply-To: <x@org.nl>\r\nReferences: <w@org.nl> <x@org.nl>\r\nAuto-Submitted: no\r\nDate: Fri, 24 Apr 2026 16:00:00 +0200\r\n\r\nHallo,\r\n\r\nDe bezorging was te laat.\r\n";
        let m = Inbound::parse(raw).unwrap();
        assert_eq!(m.from.as_deref(), Some("jan@voorbeeld.nl"));
        assert_eq!(m.from_name.as_deref(), Some("Jan Jansen"));
        assert_eq!(m.subject, "Klacht over bezorging €");
        assert_eq!(m.message_id.as_deref(), Some("abc@voorbeeld.nl"));
        assert_eq!(m.referenced_ids(), vec!["x@org.nl", "w@org.nl"]);
        assert_eq!(m.header("auto-submitted"), Some("no"));
        assert!(m.text.contains("te laat"));
        assert_eq!(m.date.unwrap().to_rfc3339(), "2026-04-24T14:00:00+00:00");
    }

    #[test]
    fn header_names_count_in_any_case() {
        let raw = b"FROM: jan@voorbeeld.nl\r\nAUTO-SUBMITTED: auto-replied\r\nlist-ID: <n.voorbeeld.nl>\r\nX-ML-Name: n\r\nDELIVERED-TO: Klachten@Org.nl\r\nx-original-to: <klachten+kl-1@org.nl>\r\nDKIM-Signature: v=1\r\nSubject: x\r\n\r\ntekst\r\n";
        let m = Inbound::parse(raw).unwrap();
        assert_eq!(m.header("auto-submitted"), Some("auto-replied"));
        assert_eq!(m.header("list-id"), Some("<n.voorbeeld.nl>"));
        assert_eq!(m.header("x-ml-name"), Some("n"));
        assert_eq!(m.header("dkim-signature"), None);
        assert_eq!(
            m.delivered_to,
            vec![
                "klachten@org.nl".to_string(),
                "klachten+kl-1@org.nl".to_string()
            ]
        );
    }

    #[test]
    fn garbage_does_not_panic() {
        for raw in [
            &b""[..],
            b"\xff\xfe\x00",
            b"From:\r\n\r\n",
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x--",
        ] {
            let _ = Inbound::parse(raw);
        }
    }
}
