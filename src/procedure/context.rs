//! What every decision works with besides the store and the message: the
//! configuration, the admin's templates, policy and rules, the calendar,
//! the token signer, the outbox's sender, and the one clock. Built once per
//! pass from the daemon's current rules (so SIGHUP swaps them between
//! passes, never within one).

use crate::cases::id::CaseId;
use crate::cases::policy::Policy;
use crate::cases::token::Signer;
use crate::clock::Clock;
use crate::config::{Config, Organisation};
use crate::deadline::Calendar;
use crate::intake::classify::Classifier;
use crate::letters::outbox::Sender;
use crate::letters::templates::Letters;
use crate::store::StoreError;
use chrono::{DateTime, Utc};

/// Everything a decision needs besides the message and the store.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The letter templates.
    pub letters: &'a Letters,
    /// The procedure.
    pub policy: &'a Policy,
    /// The working-day calendar.
    pub calendar: &'a Calendar,
    /// Token signer.
    pub signer: &'a Signer,
    /// Outgoing mail settings.
    pub sender: &'a Sender,
    /// The complaint recogniser.
    pub classifier: &'a Classifier,
    /// The clock every decision reads "now" from.
    pub clock: &'a dyn Clock,
    /// The moment of the decision being made, once fixed.
    pub moment: Option<DateTime<Utc>>,
    /// Who acts as coordinator now (the deputy while the coordinator is
    /// away, [`crate::procedure::presence`]); `None`: the configured one.
    pub acting_coordinator: Option<&'a str>,
}

impl Context<'_> {
    /// The current time: the moment of the decision when one is being
    /// made, so all it records carries one time.
    pub fn now(&self) -> DateTime<Utc> {
        self.moment.unwrap_or_else(|| self.clock.now())
    }

    /// This context with "now" fixed at the clock's current time, for one
    /// decision.
    pub fn at_now(&self) -> Self {
        Context {
            moment: Some(self.clock.now()),
            ..*self
        }
    }

    /// The organisation.
    pub fn org(&self) -> &Organisation {
        &self.config.organisation
    }

    /// The case's signed reply address, the Reply-To of every staff mail
    /// about it.
    pub fn reply_address(&self, case: CaseId) -> String {
        self.signer
            .reply_address(&self.config.organisation.complaints_address, case)
    }

    /// The acting coordinator's address, when one is configured.
    pub fn coordinator(&self) -> Option<&str> {
        self.acting_coordinator
            .or(Some(self.config.staff.coordinator.as_str()))
            .filter(|c| !c.is_empty())
    }
}

/// Why a message (or a timer, or a scheduled mail) could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The message is not usable (or a letter cannot be made); it becomes a
    /// dead letter with this reason.
    #[error("{0}")]
    Unprocessable(String),
    /// The store failed; the work stays queued.
    #[error(transparent)]
    Store(#[from] StoreError),
}
