//! Config decisions, without a mail server: what is accepted, what is
//! refused, and with which key.

use super::*;

fn write_password(dir: &Path) {
    std::fs::write(dir.join("pw"), "geheim\n").unwrap();
    std::fs::set_permissions(
        dir.join("pw"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
}

fn text(org_section: &str, extra: &str) -> String {
    format!(
        r#"[{org_section}]
name = "T"
complaints_address = "klachten@example.test"
[mailbox]
host = "127.0.0.1"
port = 143
tls = "none"
username = "klachten@example.test"
password_file = "pw"
[smtp]
host = "127.0.0.1"
port = 25
tls = "none"
from = "Klachtenservice <klachten@example.test>"
[store]
path = "store"
{extra}"#
    )
}

fn load(text: &str) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    write_password(dir.path());
    Config::from_str_at(text, &dir.path().join("k.toml"), dir.path())
}

fn problems(r: Result<Config, ConfigError>) -> Problems {
    match r {
        Err(ConfigError::Invalid { problems, .. }) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn the_old_section_name_still_works_and_says_which_to_use() {
    let c = load(&text("organization", "")).unwrap();
    assert_eq!(c.organisation.name, "T");
    assert_eq!(c.renamed.len(), 1);
    assert!(c.renamed[0].contains("[organisation]"), "{:?}", c.renamed);
    let c = load(&text("organisation", "")).unwrap();
    assert!(c.renamed.is_empty());
    let both = format!(
        "{}[organization]\nname = \"T\"\ncomplaints_address = \"k@example.test\"\n",
        text("organisation", "")
    );
    let p = problems(load(&both));
    assert!(p.iter().any(|p| p.key == "[organization]"), "{p}");
}

#[test]
fn every_problem_is_named_by_its_key() {
    let p = problems(load(&text(
        "organisation",
        "[staff]\ncoordinator = \"geen adres\"\n[limits]\nmax_message_bytes = \"veel\"\n[bestuur]\nx = 1\n",
    )));
    let keys: Vec<&str> = p.iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains(&"staff.coordinator"), "{keys:?}");
    assert!(keys.iter().any(|k| k.starts_with("limits")), "{keys:?}");
    assert!(keys.contains(&"[bestuur]"), "{keys:?}");
}

#[test]
fn a_file_that_is_not_toml_names_no_files_to_check() {
    match load("[organisation\nname = ") {
        Err(ConfigError::Invalid {
            problems, files, ..
        }) => {
            assert_eq!(problems.len(), 1);
            assert_eq!(problems.0[0].key, "syntax");
            assert!(files.is_none());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_invalid_config_still_names_its_templates_and_rules() {
    match load(&text(
        "organisation",
        "[templates]\ndir = \"mijn-brieven\"\n[classifier]\nrules = \"regels.toml\"\n[smtp2]\n",
    )) {
        Err(ConfigError::Invalid {
            files: Some(files), ..
        }) => {
            assert!(files.templates_dir.ends_with("mijn-brieven"));
            assert!(files.rules_file.unwrap().ends_with("regels.toml"));
            assert_eq!(files.language, "nl");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn staff_are_known_by_address_domain_and_directory_name() {
    let c = load(&text(
        "organisation",
        "[staff]\ncoordinator = \"coord@org.nl\"\ndomains = [\"org.nl\"]\naddresses = [\"piet@extern.nl\"]\n[staff.directory]\n\"Ruud Kramer\" = \"ruud@org.nl\"\n",
    ))
    .unwrap();
    assert!(c.is_staff("Coord@Org.NL"));
    assert!(c.is_staff("iemand@org.nl"));
    assert!(c.is_staff("piet@extern.nl"));
    assert!(!c.is_staff("klant@voorbeeld.nl"));
    assert_eq!(
        c.staff_named_in("Ik wil RUUD KRAMER bedanken").as_deref(),
        Some("ruud@org.nl")
    );
    assert_eq!(c.staff_named_in("niemand"), None);
}

#[test]
fn a_password_file_others_can_read_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    write_password(dir.path());
    std::fs::set_permissions(
        dir.path().join("pw"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let r = Config::from_str_at(
        &text("organisation", ""),
        &dir.path().join("k.toml"),
        dir.path(),
    );
    let p = problems(r).to_string();
    assert!(
        p.contains("mailbox.password_file") && p.contains("chmod 600"),
        "{p}"
    );
}

#[test]
fn a_role_has_one_address_or_a_list_and_each_is_checked() {
    let c = load(&text(
        "organisation",
        "[staff]\ncoordinator = \"c@org.example\"\nroles = { kwaliteitsmanager = \"k@org.example\", regiomanagers = [\"noord@org.example\", \"zuid@org.example\"] }\n",
    ))
    .unwrap();
    let roles = &c.staff.roles;
    assert_eq!(roles["kwaliteitsmanager"].all(), ["k@org.example"]);
    assert_eq!(
        roles["regiomanagers"].all(),
        ["noord@org.example", "zuid@org.example"]
    );
    assert_eq!(
        roles["regiomanagers"].first().map(String::as_str),
        Some("noord@org.example")
    );
    let p = problems(load(&text(
        "organisation",
        "[staff]\nroles = { regiomanagers = [\"noord@org.example\", \"geen adres\"] }\n",
    )));
    assert!(format!("{p:?}").contains("geen adres"), "{p:?}");
}
