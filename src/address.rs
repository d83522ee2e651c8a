//! Mail addresses: validation, `Name <addr>` mailboxes, plus-address details
//! and header-safe text. Everything that goes into an outgoing header passes
//! through here, so customer text can never inject a header.

/// Whether `s` is a plain `local@domain` address we are willing to send to.
pub fn is_valid(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !domain.is_empty()
        && domain.len() <= 253
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(
                    b,
                    b'<' | b'>' | b'(' | b')' | b'[' | b']' | b'\\' | b',' | b';' | b':' | b'"'
                )
        })
}

/// A parsed `Display Name <local@domain>` mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Display name, if any.
    pub name: Option<String>,
    /// The address.
    pub address: String,
}

/// Parses `Name <addr>` or a bare address.
pub fn parse_mailbox(s: &str) -> Option<Mailbox> {
    let s = s.trim();
    if let (Some(open), true) = (s.rfind('<'), s.ends_with('>')) {
        let address = s[open + 1..s.len() - 1].trim().to_string();
        let name = s[..open].trim().trim_matches('"').trim();
        return is_valid(&address).then(|| Mailbox {
            name: (!name.is_empty()).then(|| name.to_string()),
            address,
        });
    }
    is_valid(s).then(|| Mailbox {
        name: None,
        address: s.to_string(),
    })
}

/// Normalises an address for comparison: lower case, without plus detail.
pub fn normalize(addr: &str) -> String {
    let addr = addr.trim().to_ascii_lowercase();
    match addr.rsplit_once('@') {
        Some((local, domain)) => {
            let local = local.split_once('+').map(|(l, _)| l).unwrap_or(local);
            format!("{local}@{domain}")
        }
        None => addr,
    }
}

/// The plus detail of `addr` if its base is `base` (`klachten+X@org.nl` → `X`).
pub fn plus_detail<'a>(addr: &'a str, base: &str) -> Option<&'a str> {
    let (local, domain) = addr.rsplit_once('@')?;
    let (blocal, bdomain) = base.rsplit_once('@')?;
    let (l, detail) = local.split_once('+')?;
    (l.eq_ignore_ascii_case(blocal) && domain.eq_ignore_ascii_case(bdomain)).then_some(detail)
}

/// `local+detail@domain` for a base address.
pub fn with_detail(base: &str, detail: &str) -> String {
    match base.rsplit_once('@') {
        Some((l, d)) => format!("{l}+{detail}@{d}"),
        None => base.to_string(),
    }
}

/// The domain part of an address.
pub fn domain(addr: &str) -> &str {
    addr.rsplit_once('@').map(|(_, d)| d).unwrap_or("localhost")
}

/// Makes text safe for a header value: control characters (CR, LF, …) become
/// spaces, runs of white space fold to one, and the result is capped.
pub fn header_safe(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars));
    let mut last_space = true;
    for ch in s.chars() {
        let ch = if ch.is_control() || ch.is_whitespace() {
            ' '
        } else {
            ch
        };
        if ch == ' ' {
            if last_space {
                continue;
            }
            last_space = true;
        } else {
            last_space = false;
        }
        out.push(ch);
        if out.chars().count() >= max_chars {
            out.push('…');
            break;
        }
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes() {
        assert_eq!(
            parse_mailbox("Klachtenservice <klachten@org.nl>").unwrap(),
            Mailbox {
                name: Some("Klachtenservice".into()),
                address: "klachten@org.nl".into()
            }
        );
        assert!(parse_mailbox("klachten@org.nl").is_some());
        assert!(parse_mailbox("not an address").is_none());
        assert!(!is_valid("a@b"));
        assert!(!is_valid("a b@c.nl"));
    }

    #[test]
    fn plus_addresses() {
        assert_eq!(
            plus_detail("Klachten+KL-2026-0001.abc@Org.nl", "klachten@org.nl"),
            Some("KL-2026-0001.abc")
        );
        assert_eq!(plus_detail("other+x@org.nl", "klachten@org.nl"), None);
        assert_eq!(normalize("Jan+tag@Voorbeeld.NL"), "jan@voorbeeld.nl");
        assert_eq!(with_detail("k@o.nl", "x"), "k+x@o.nl");
    }

    #[test]
    fn header_injection_is_neutralised() {
        let s = header_safe("Hallo\r\nBcc: evil@x.nl\r\n\r\nbody", 200);
        assert!(!s.contains('\r') && !s.contains('\n'));
        assert_eq!(s, "Hallo Bcc: evil@x.nl body");
    }
}
