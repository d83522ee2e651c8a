//! Reports from the store: the figures of a period and the weekly agenda
//! ([`figures`]), written out as Markdown, HTML with SVG charts
//! ([`chart`]), CSV or JSON ([`render`]).

pub mod chart;
pub mod figures;
pub mod html;
pub mod render;

pub use figures::{agenda, make, Agenda, Report, Scope};
pub use render::Format;
