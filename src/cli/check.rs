//! `klachtd check`: the config, and the templates, policy and rules it
//! names, checked together; every problem with its key and a fix.

use crate::cli::env::Env;
use anyhow::Result;
use klachtd::config::{Config, ConfigError};
use klachtd::daemon::rules::{file_problems, Rules};
use klachtd::problem::Problems;

/// Exit 0 when everything is valid, 2 with every problem otherwise.
pub fn check(env: &Env) -> Result<i32> {
    let path = env.config_path();
    let problems = match Config::load(&path) {
        Ok(config) => match Rules::load(&config) {
            Ok(_) => {
                println!(
                    "{}: configuration, policy and templates are valid",
                    path.display()
                );
                for note in &config.renamed {
                    println!("note: {note}");
                }
                return Ok(0);
            }
            Err(problems) => problems,
        },
        Err(ConfigError::Invalid {
            problems,
            files: Some(files),
            ..
        }) => {
            let mut all = problems;
            all.extend(file_problems(&files));
            all
        }
        Err(e) => {
            eprintln!("{e}");
            return Ok(2);
        }
    };
    report(&path, &problems);
    Ok(2)
}

fn report(path: &std::path::Path, problems: &Problems) {
    eprintln!("{} problem(s) in {}:", problems.len(), path.display());
    eprintln!("{problems}");
}
