//! The CLI contract without a mail server: `check`, `templates render`.

use std::path::Path;
use std::process::Command;

fn klachtd(config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_klachtd"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

fn good_config(dir: &Path) -> std::path::PathBuf {
    std::fs::write(dir.join("pw"), "geheim-wachtwoord-123\n").unwrap();
    std::fs::set_permissions(
        dir.join("pw"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let text = format!(
        r#"[organization]
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
[templates]
dir = "{}"
"#,
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("templates")
            .display()
    );
    let p = dir.join("klachtd.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn check_reports_every_problem_with_key_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    // Every template but the acknowledgement.
    let tpl = dir.path().join("tpl/nl");
    std::fs::create_dir_all(&tpl).unwrap();
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/nl");
    for f in std::fs::read_dir(ours).unwrap() {
        let f = f.unwrap().path();
        if !f.ends_with("ontvangstbevestiging.txt.j2") {
            std::fs::copy(&f, tpl.join(f.file_name().unwrap())).unwrap();
        }
    }
    let config = dir.path().join("k.toml");
    std::fs::write(
        &config,
        r#"[organization]
name = "T"
complaints_address = "k@example.test"
[mailbox]
host = "127.0.0.1"
port = "imap"
tls = "none"
username = "k@example.test"
password_env = "KLACHTD_TEST_UNSET"
[smtp]
host = "127.0.0.1"
port = 25
tls = "none"
username = "k"
password_file = "missing/smtp-password"
from = "K <k@example.test>"
[store]
path = "store"
[templates]
dir = "tpl"
"#,
    )
    .unwrap();
    let out = klachtd(&config, &["check"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    // The folder lacks the acknowledgement: the built-in one is used (issue
    // 12: templates are built in, the folder overrides per file).
    assert!(err.contains("2 problem(s)"), "{err}");
    assert!(
        err.contains("mailbox.port") && err.contains("number"),
        "{err}"
    );
    assert!(
        err.contains("smtp.password_file") && err.contains("smtp-password"),
        "{err}"
    );
    assert!(!err.contains("ontvangstbevestiging"), "{err}");
}

#[test]
fn check_accepts_a_good_config_and_never_prints_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let config = good_config(dir.path());
    let out = klachtd(&config, &["check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("geheim-wachtwoord-123"));
}

#[test]
fn check_reminds_of_the_store_kept_from_before_a_conversion() {
    let dir = tempfile::tempdir().unwrap();
    let config = good_config(dir.path());
    let out = klachtd(&config, &["check"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("db.before-fjall"));
    std::fs::create_dir_all(dir.path().join("store/db.before-fjall")).unwrap();
    let out = klachtd(&config, &["check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("db.before-fjall") && said.contains("cases list") && said.contains("rm -r"),
        "{said}"
    );
}

#[test]
fn inline_password_is_refused_with_the_alternative() {
    let dir = tempfile::tempdir().unwrap();
    let config = good_config(dir.path());
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("password_file = \"pw\"", "password = \"geheim\"");
    std::fs::write(&config, text).unwrap();
    let out = klachtd(&config, &["check"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mailbox.password") && err.contains("password_file"),
        "{err}"
    );
    assert!(!err.contains("geheim\""), "{err}");
}

#[test]
fn templates_render_previews_a_letter_with_the_configs_organisation_and_policy() {
    let dir = tempfile::tempdir().unwrap();
    let config = good_config(dir.path());
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("name = \"T\"", "name = \"Glasbedrijf Helder\"")
        + "[policy]\npreset = \"vps\"\n";
    std::fs::write(&config, text).unwrap();
    let out = klachtd(&config, &["templates", "render", "ontvangstbevestiging"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Subject: Ontvangstbevestiging van uw klacht [KL-2026-0042]"),
        "{text}"
    );
    assert!(text.contains("Glasbedrijf Helder"), "{text}");
    assert!(text.contains("klachten@example.test"), "{text}");
    assert!(!text.contains("Voorbeeld B.V."), "{text}");
    assert!(!text.contains("klachten@voorbeeld.nl"), "{text}");
}

#[test]
fn templates_list_and_check_name_every_broken_template_and_render_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let config = good_config(dir.path());
    let folder = dir.path().join("templates");
    std::fs::create_dir_all(folder.join("nl")).unwrap();
    std::fs::write(
        folder.join("nl/beroep.txt.j2"),
        "Subject: Beroep {{ case.id }\n\nKapot.\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("nl/herinnering.txt.j2"),
        "Subject: Herinnering\n\n{% if case.urgent %}Snel!\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("nl/tussenbericht.txt.j2"),
        "Subject: Stand van zaken {{ case.nummer }}\n\nBeste {{ klant }},\n",
    )
    .unwrap();
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text
        .lines()
        .map(|l| {
            if l.starts_with("dir = ") {
                format!("dir = \"{}\"", folder.display())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&config, text).unwrap();
    // check names both syntax errors and the unknown variables, each with
    // what that template can use instead.
    let out = klachtd(&config, &["check"]);
    let err =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(err.contains("nl/beroep.txt.j2"), "{err}");
    assert!(err.contains("nl/herinnering.txt.j2"), "{err}");
    assert!(
        err.contains("'case.nummer'") && err.contains("case.id"),
        "{err}"
    );
    assert!(err.contains("'klant'") && err.contains("case.*"), "{err}");
    // list shows every template, where it comes from, and the broken ones.
    let out = klachtd(&config, &["templates", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = String::from_utf8_lossy(&out.stdout);
    let line = |name: &str| {
        list.lines()
            .find(|l| l.starts_with("nl") && l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{list}"))
            .to_string()
    };
    assert!(
        line("beroep").contains("overridden") && line("beroep").contains("BROKEN"),
        "{list}"
    );
    assert!(line("ontvangstbevestiging").contains("built-in"), "{list}");
    assert!(!line("ontvangstbevestiging").contains("BROKEN"), "{list}");
    // Rendering a good template works; the broken one names its error.
    assert!(
        klachtd(&config, &["templates", "render", "ontvangstbevestiging"])
            .status
            .success()
    );
    let out = klachtd(&config, &["templates", "render", "beroep"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nl/beroep"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn bare(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_klachtd"))
        .args(args)
        .env_remove("KLACHTD_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn deadline_command_follows_the_dutch_calendar() {
    // Monday 27 April 2026 is Koningsdag.
    assert_eq!(
        bare(&[
            "deadline",
            "--from",
            "2026-04-24T16:00:00+02:00",
            "--term",
            "1 werkdag"
        ]),
        "2026-04-28T23:59:59+02:00"
    );
    // 25 and 26 December, then a weekend.
    assert_eq!(
        bare(&[
            "deadline",
            "--from",
            "2025-12-24T10:00:00+01:00",
            "--term",
            "2 werkdagen"
        ]),
        "2025-12-30T23:59:59+01:00"
    );
    // Two weeks end on 5 mei (a holiday here): the next working day.
    assert_eq!(
        bare(&[
            "deadline",
            "--from",
            "2026-04-21T10:00:00+02:00",
            "--term",
            "2 weken"
        ]),
        "2026-05-06T23:59:59+02:00"
    );
    // A term by its name in a preset.
    assert_eq!(
        bare(&[
            "deadline",
            "--from",
            "2026-04-21T10:00:00+02:00",
            "--term",
            "acknowledge",
            "--policy",
            "glaspunt"
        ]),
        "2026-04-22T23:59:59+02:00"
    );
}

#[test]
fn bevrijdingsdag_and_closing_days_come_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = good_config(dir.path());
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("[calendar]\nbevrijdingsdag = false\nclosed = [\"2026-04-23\"]\n");
    std::fs::write(&config, text).unwrap();
    let run = |args: &[&str]| {
        String::from_utf8_lossy(&klachtd(&config, args).stdout)
            .trim()
            .to_string()
    };
    assert_eq!(
        run(&[
            "deadline",
            "--from",
            "2026-04-21T10:00:00+02:00",
            "--term",
            "2 weken"
        ]),
        "2026-05-05T23:59:59+02:00"
    );
    assert_eq!(
        run(&[
            "deadline",
            "--from",
            "2026-04-22T10:00:00+02:00",
            "--term",
            "1 werkdag"
        ]),
        "2026-04-24T23:59:59+02:00"
    );
}

#[test]
fn policy_show_prints_a_presets_terms() {
    let text = bare(&["policy", "show", "xs2more"]);
    assert!(
        text.contains("acknowledge: 2 weken") && text.contains("decide:      6 weken"),
        "{text}"
    );
    assert!(text.contains("extensions: 1"), "{text}");
}

#[test]
fn check_fails_when_a_role_the_preset_informs_has_no_address() {
    let dir = tempfile::tempdir().unwrap();
    let config = good_config(dir.path());
    let text = std::fs::read_to_string(&config).unwrap() + "[policy]\npreset = \"glaspunt\"\n";
    std::fs::write(&config, &text).unwrap();
    let out = klachtd(&config, &["check"]);
    let said =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{said}");
    // The quality manager (informed of every case), the mediator (complaints
    // about staff, complex ones) and the regional managers (the report).
    for role in ["kwaliteitsmanager", "bemiddelaar"] {
        assert!(said.contains(&format!("staff.roles.{role}")), "{said}");
    }
    assert!(
        said.contains("handles 'medewerker' complaints and handles complex complaints"),
        "{said}"
    );
    assert!(said.contains("roles = { regiomanagers ="), "{said}");
    // With the addresses, it passes.
    let text = text.replace(
        "[policy]",
        "[staff]\ncoordinator = \"c@org.example\"\nroles = { kwaliteitsmanager = \"kwaliteit@org.example\", bemiddelaar = \"bemiddelaar@org.example\", regiomanagers = \"regio@org.example\" }\n[policy]",
    );
    std::fs::write(&config, &text).unwrap();
    let out = klachtd(&config, &["check"]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
