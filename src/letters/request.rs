//! A letter to send, before it is rendered: which template with which
//! variables, to whom, in which thread, under which outbox key, and what
//! its `Auto-Submitted` header says. The constructors cover the three kinds
//! of letter klachtd writes: to the complainant of a case (in the case
//! thread), to staff, and in answer to a message.

use crate::cases::case::Case;
use crate::cases::id::CaseId;
use crate::config::Organisation;
use crate::intake::inbound::{Correspondent, Inbound};

/// What `Auto-Submitted` (RFC 3834) says of a letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoSubmitted {
    /// Mail a person wrote (a relayed staff reply): no header.
    No,
    /// An automatic answer to a message (`auto-replied`).
    Replied,
    /// Mail klachtd writes on its own account (`auto-generated`).
    Generated,
}

impl AutoSubmitted {
    /// The header value, when there is one.
    pub fn header(self) -> Option<&'static str> {
        match self {
            AutoSubmitted::No => None,
            AutoSubmitted::Replied => Some("auto-replied"),
            AutoSubmitted::Generated => Some("auto-generated"),
        }
    }
}

/// Where a letter sits in the outbox: its case (or what it is about without
/// one) and its sequence. Together with the template name it makes the
/// outbox id, so deciding the same thing twice queues it once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The case it belongs to.
    pub case: Option<CaseId>,
    /// What it is about without a case (`M-<journal id>`, `R-<occurrence>`).
    pub about: String,
    /// Sequence among letters of its template on the case (the case version
    /// when it was decided).
    pub seq: u32,
}

/// A letter to queue.
#[derive(Debug, Clone)]
pub struct LetterRequest {
    /// Outbox key.
    pub key: Key,
    /// Template name.
    pub letter: String,
    /// Language of the template.
    pub lang: String,
    /// Template variables.
    pub vars: serde_json::Value,
    /// Recipient address.
    pub to: String,
    /// Recipient display name.
    pub to_name: Option<String>,
    /// `Reply-To`: where replies go (a signed plus-address for staff).
    pub reply_to: String,
    /// The Message-ID it answers.
    pub in_reply_to: Option<String>,
    /// Thread references, oldest first.
    pub references: Vec<String>,
    /// Its `Auto-Submitted`.
    pub auto_submitted: AutoSubmitted,
    /// For a letter combined of several, the templates it holds.
    pub parts: Vec<String>,
    /// A letter for a complainant without a mail address: it goes to the
    /// handler, who passes it on by post or phone.
    pub pass_on: Option<PassOn>,
}

/// How to reach a complainant who has no mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassOn {
    /// Their name.
    pub name: Option<String>,
    /// Their phone number.
    pub phone: Option<String>,
    /// Their postal address.
    pub postal_address: Option<String>,
}

impl LetterRequest {
    /// A letter to the complainant of `c`, in the case's thread and
    /// language, auto-generated, answered at the complaints address. Its
    /// sequence is the case version. A complainant without a mail address
    /// gets it through the handler (or the complaints address), who passes
    /// it on.
    pub fn to_complainant(
        org: &Organisation,
        c: &Case,
        letter: &str,
        vars: serde_json::Value,
    ) -> LetterRequest {
        if !c.has_email() {
            let to = c
                .handler
                .clone()
                .unwrap_or_else(|| org.complaints_address.clone());
            return LetterRequest {
                lang: c.language.clone(),
                pass_on: Some(PassOn {
                    name: c.name.clone(),
                    phone: c.phone.clone(),
                    postal_address: c.postal_address.clone(),
                }),
                ..LetterRequest::new(org, &to, letter, vars)
            }
            .on_case(c.id, c.version);
        }
        LetterRequest {
            to_name: c.name.clone(),
            lang: c.language.clone(),
            ..LetterRequest::new(org, &c.complainant, letter, vars)
        }
        .on_case(c.id, c.version)
        .in_thread(c.thread.last().cloned(), c.thread.clone())
    }

    /// A letter to a staff member: auto-generated, in the organisation's
    /// language, not in a thread, answered at the complaints address (set
    /// [`LetterRequest::reply_to`] to a case's signed address).
    pub fn to_staff(
        org: &Organisation,
        to: &str,
        letter: &str,
        vars: serde_json::Value,
    ) -> LetterRequest {
        LetterRequest::new(org, to, letter, vars)
    }

    /// An automatic answer to `m` from `sender`: auto-replied, threaded
    /// under it, in the organisation's language (set [`LetterRequest::lang`]
    /// for a case's).
    pub fn answering(
        org: &Organisation,
        m: &Inbound,
        sender: &Correspondent,
        letter: &str,
        vars: serde_json::Value,
    ) -> LetterRequest {
        let references = m
            .references
            .iter()
            .cloned()
            .chain(m.message_id.clone())
            .collect();
        LetterRequest {
            to_name: sender.name.clone(),
            ..LetterRequest::new(org, &sender.reply_address, letter, vars)
        }
        .in_thread(m.message_id.clone(), references)
        .auto_submitted(AutoSubmitted::Replied)
    }

    /// A letter to `to` outside any thread: the organisation's language,
    /// answered at the complaints address, auto-generated.
    fn new(org: &Organisation, to: &str, letter: &str, vars: serde_json::Value) -> LetterRequest {
        LetterRequest {
            key: Key {
                case: None,
                about: String::new(),
                seq: 1,
            },
            letter: letter.to_string(),
            lang: org.language.clone(),
            vars,
            to: to.to_string(),
            to_name: None,
            reply_to: org.complaints_address.clone(),
            in_reply_to: None,
            references: Vec::new(),
            auto_submitted: AutoSubmitted::Generated,
            parts: Vec::new(),
            pass_on: None,
        }
    }

    /// Files it on case `case` with sequence `seq`.
    pub fn on_case(mut self, case: CaseId, seq: u32) -> Self {
        self.key.case = Some(case);
        self.key.seq = seq;
        self
    }

    /// Files it, without a case, under `about` with sequence `seq`.
    pub fn about(mut self, about: impl Into<String>, seq: u32) -> Self {
        self.key.about = about.into();
        self.key.seq = seq;
        self
    }

    /// Sets the sequence.
    pub fn seq(mut self, seq: u32) -> Self {
        self.key.seq = seq;
        self
    }

    /// Sets the language.
    pub fn lang(mut self, lang: &str) -> Self {
        self.lang = lang.to_string();
        self
    }

    /// Sets where replies go.
    pub fn reply_to(mut self, reply_to: impl Into<String>) -> Self {
        self.reply_to = reply_to.into();
        self
    }

    /// Sets `Auto-Submitted`.
    pub fn auto_submitted(mut self, a: AutoSubmitted) -> Self {
        self.auto_submitted = a;
        self
    }

    /// Threads it under `in_reply_to`, after `references`.
    pub fn in_thread(mut self, in_reply_to: Option<String>, references: Vec<String>) -> Self {
        self.in_reply_to = in_reply_to;
        self.references = references;
        self
    }

    /// The outbox id: `<case>/<letter>/<seq>`, or `<about>/<letter>/<seq>`.
    pub fn outbox_id(&self) -> String {
        match self.key.case {
            Some(c) => format!("{c}/{}/{}", self.letter, self.key.seq),
            None => format!("{}/{}/{}", self.key.about, self.letter, self.key.seq),
        }
    }
}
