//! Problems found while checking what an admin wrote (config, policy,
//! templates, rules): each tied to the key or file it concerns and saying
//! what to do. `check`, the daemon's start and its reload all report a
//! [`Problems`] list, rendered one way.

use std::fmt;

/// One problem, tied to the key it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key, e.g. `mailbox.port`, or a file name for file problems.
    pub key: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl Problem {
    /// A problem with `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Every problem found, in the order found. Displayed as an indented list,
/// one `  - key: message` line each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// Adds a problem.
    pub fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem::new(key, message));
    }
    /// Adds every problem of another list.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Problem>) {
        self.0.extend(other);
    }
    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// The problems.
    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter()
    }
}

impl IntoIterator for Problems {
    type Item = Problem;
    type IntoIter = std::vec::IntoIter<Problem>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl From<Vec<Problem>> for Problems {
    fn from(v: Vec<Problem>) -> Self {
        Problems(v)
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "  - {p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_render_as_one_indented_list() {
        let mut p = Problems::default();
        p.push("mailbox.port", "write a number");
        p.push("templates", "missing x");
        assert_eq!(
            p.to_string(),
            "  - mailbox.port: write a number\n  - templates: missing x"
        );
    }
}
