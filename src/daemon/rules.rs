//! The admin's editable set: letter templates, the policy and the
//! classifier rules. Loaded and checked together (every problem at once),
//! at start, by `check`, and again on SIGHUP, when a set with problems is
//! refused and the running one kept.

use crate::cases::policy::Policy;
use crate::config::{Config, Files};
use crate::intake::classify::Classifier;
use crate::letters::templates::Letters;
use crate::problem::{Problem, Problems};

/// The parts that SIGHUP reloads.
#[derive(Debug)]
pub struct Rules {
    /// Letter templates.
    pub letters: Letters,
    /// The procedure.
    pub policy: Policy,
    /// The complaint recogniser.
    pub classifier: Classifier,
}

impl Rules {
    /// Loads and checks templates, policy and classifier rules; every
    /// problem is returned.
    pub fn load(config: &Config) -> Result<Rules, Problems> {
        let mut problems = Problems::default();
        let letters = load_letters(&config.files(), &mut problems);
        let classifier = load_classifier(&config.files(), &mut problems);
        let policy = match Policy::from_config(config) {
            Ok(p) => {
                // Every role of [staff.roles] the procedure sends mail to
                // must have an address, or its mail would go nowhere
                // (Glaspunt's quality manager, mediator). Management falls
                // back to the coordinator when [staff] names none.
                for (role, what) in p.roles_needed() {
                    if config
                        .staff
                        .roles
                        .get(&role)
                        .is_none_or(|a| a.all().iter().all(|a| a.trim().is_empty()))
                    {
                        problems.push(
                            format!("staff.roles.{role}"),
                            format!(
                                "the policy {} says the role '{role}' {what}, but it has no address; add under [staff]: roles = {{ {role} = \"naam@organisatie.nl\" }}",
                                p.name
                            ),
                        );
                    }
                }
                for (i, r) in p.reports.iter().enumerate() {
                    let key = format!("policy [[report]] #{} ({})", i + 1, p.name);
                    problems.extend(
                        r.problems(config)
                            .into_iter()
                            .map(|m| Problem::new(&key, m)),
                    );
                }
                Some(p)
            }
            Err(e) => {
                problems.push("policy", e.to_string());
                None
            }
        };
        match (letters, policy, classifier) {
            (Some(letters), Some(policy), Some(classifier)) if problems.is_empty() => Ok(Rules {
                letters,
                policy,
                classifier,
            }),
            _ => Err(problems),
        }
    }
}

/// The problems of the templates and rules a config names, for `check`
/// when the config itself has problems (and no policy can be read).
pub fn file_problems(files: &Files) -> Problems {
    let mut problems = Problems::default();
    load_letters(files, &mut problems);
    load_classifier(files, &mut problems);
    problems
}

/// The templates, read once and checked; problems go to `problems`.
fn load_letters(files: &Files, problems: &mut Problems) -> Option<Letters> {
    match Letters::load(&files.templates_dir) {
        Ok(l) => {
            let found = l.check(&files.language);
            let ok = found.is_empty();
            problems.extend(found);
            ok.then_some(l)
        }
        Err(e) => {
            problems.push("templates", format!("{e}; fix the template syntax"));
            None
        }
    }
}

/// The classifier: the admin's rules file, else the built-in rules.
pub fn classifier(files: &Files) -> Result<Classifier, Problems> {
    let mut problems = Problems::default();
    load_classifier(files, &mut problems).ok_or(problems)
}

fn load_classifier(files: &Files, problems: &mut Problems) -> Option<Classifier> {
    let Some(path) = &files.rules_file else {
        return Some(Classifier::builtin());
    };
    match Classifier::load(path) {
        Ok(c) => Some(c),
        Err(errs) => {
            let key = format!("classifier.rules ({})", path.display());
            problems.extend(errs.into_iter().map(|e| Problem::new(&key, e.to_string())));
            None
        }
    }
}
