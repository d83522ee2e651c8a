//! klachtd's integration tests, as one test binary (the suite links once):
//! each module tests one area through the real mail stack (Dovecot and
//! Postfix on 127.0.0.1, brought up by `scripts/mailstack`) or the binary's
//! contract; [`harness`] starts what they share.

mod anonymise;
mod architecture;
mod classify;
mod cli;
mod conversation;
mod corpus;
mod crash;
mod faults;
mod harness;
mod learning;
mod mailloop;
mod operate;
mod pipeline;
mod presets;
mod report;
mod staff;
mod terms;
mod triage;
