//! Nothing leaks (issue 9 §7): after a day's work through the real `nac` — an import with bad
//! rows, renewals, a refused renewal, prints, a masked export, a backup, wrong PINs and a wrong
//! passphrase, a bad code to verify — no full ID number or phone of the roster is in any output
//! (stdout, stderr), in any file left in the process's temporary directory, or in any file of
//! the station's directory other than the encrypted database and its backup; the data
//! directory is `0700` and every file in it `0600`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASSPHRASE: &str = "test station passphrase";
const NUMBERS: [&str; 2] = ["11010519491231002X", "310104194501010015"];
const PHONES: [&str; 2] = ["13912345678", "13800001111"];
/// A row the import refuses (bad check digit): its number must not come back in full either.
const BAD_NUMBER: &str = "110105194912310021";

fn nac(data: &Path, tmp: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nac"));
    cmd.env("NAC_PASSPHRASE", PASSPHRASE)
        .env("TMPDIR", tmp)
        .env_remove("NAC_PIN")
        .arg("--db")
        .arg(data.join("station.db"))
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Extra environment of one run.
type Env = Vec<(&'static str, &'static str)>;

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn assert_clean(what: &str, bytes: &[u8]) {
    for secret in NUMBERS.iter().chain(&PHONES).chain(&[BAD_NUMBER]) {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{what} holds {secret}: {}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn no_full_number_or_phone_in_outputs_temporary_files_or_the_data_directory() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let tmp = root.path().join("tmp");
    let out_dir = root.path().join("out");
    for d in [&tmp, &out_dir] {
        std::fs::create_dir(d).unwrap();
    }
    let csv = out_dir.join("roster.csv");
    std::fs::write(
        &csv,
        format!(
            "区,路,弄,号,室,户联系电话,姓名,证件类型,证件号码,手机,有智能手机,备注\n\
             徐汇区,天钥桥路,100,5,301,{},张秀英,居民身份证,{},{},否,\n\
             徐汇区,天钥桥路,100,5,302,,李建国,居民身份证,{},,否,\n\
             徐汇区,天钥桥路,100,5,303,,王淑珍,居民身份证,{BAD_NUMBER},{},否,\n",
            PHONES[1], NUMBERS[0], PHONES[0], NUMBERS[1], PHONES[0]
        ),
    )
    .unwrap();
    let masked = out_dir.join("masked.xlsx");
    let pdf = out_dir.join("cards.pdf");
    let backup = out_dir.join("b.nacbackup");
    let runs: Vec<(Env, Vec<String>)> = vec![
        (vec![], vec!["import".into(), csv.display().to_string()]),
        (
            vec![],
            vec!["--json".into(), "import".into(), csv.display().to_string()],
        ),
        (
            vec![],
            vec!["renew".into(), "--due-within".into(), "7".into()],
        ),
        (
            vec![],
            vec!["renew".into(), "--id".into(), NUMBERS[0].into()],
        ),
        (
            vec![],
            vec![
                "--json".into(),
                "renew".into(),
                "--id".into(),
                NUMBERS[0].into(),
            ],
        ),
        (
            vec![],
            vec!["show".into(), "--id".into(), NUMBERS[1].into()],
        ),
        (vec![], vec!["list".into()]),
        (vec![], vec!["export".into(), masked.display().to_string()]),
        (
            vec![],
            vec![
                "print".into(),
                "--all-active".into(),
                "--out".into(),
                pdf.display().to_string(),
            ],
        ),
        (vec![], vec!["verify".into(), "NAC1:NOT-A-CODE".into()]),
        (vec![], vec!["backup".into(), backup.display().to_string()]),
        (
            vec![("NAC_NEW_PIN", "246810")],
            vec!["volunteer".into(), "add".into(), "李梅".into()],
        ),
        (
            vec![("NAC_PIN", "000000")],
            vec!["--as".into(), "李梅".into(), "list".into()],
        ),
        (
            vec![("NAC_PASSPHRASE", "not the passphrase")],
            vec!["list".into()],
        ),
        (vec![], vec!["audit".into(), "list".into()]),
        (
            vec![],
            vec!["--json".into(), "queue".into(), "--all".into()],
        ),
    ];
    for (env, args) in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = nac(&data, &tmp, env, &args);
        assert!(out.status.code().is_some(), "{args:?} must exit, not crash");
        assert_clean(&format!("stdout of {args:?}"), &out.stdout);
        assert_clean(&format!("stderr of {args:?}"), &out.stderr);
    }
    // The import was refused one row and the renewals ran: the scan saw real work.
    assert!(std::fs::metadata(&pdf).unwrap().len() > 1000);

    for file in files_under(&tmp) {
        assert_clean(
            &format!("temporary file {}", file.display()),
            &std::fs::read(&file).unwrap(),
        );
    }
    for file in files_under(&out_dir) {
        if file == csv {
            continue;
        }
        let bytes = std::fs::read(&file).unwrap();
        if file.extension().is_some_and(|e| e == "xlsx") {
            // Compressed: read the sheet text back through the importer's own reader.
            let text = String::from_utf8_lossy(&unzip_all(&bytes)).into_owned();
            assert_clean(&format!("export {}", file.display()), text.as_bytes());
        } else {
            assert_clean(&format!("file {}", file.display()), &bytes);
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "the data directory is the owner's only");
        for file in files_under(&data) {
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} is the owner's only", file.display());
            assert_clean(
                &format!("station file {}", file.display()),
                &std::fs::read(&file).unwrap(),
            );
        }
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a backup is the owner's only");
    }
}

/// Issue 16 item 8: the passphrase and the PINs a script gives `nac` in its environment reach
/// no child. Stand-ins for `lp`, `lpstat`, `xdg-open` and `fc-match` first on `PATH` write down
/// the environment they were started with; none holds a secret's name or value.
#[cfg(unix)]
#[test]
fn no_child_inherits_the_passphrase_or_a_pin() {
    use std::os::unix::fs::PermissionsExt as _;
    const PIN: &str = "246810";
    const NEW_PASSPHRASE: &str = "a new passphrase nobody may see";
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let tmp = root.path().join("tmp");
    let bin = root.path().join("bin");
    let seen = root.path().join("seen");
    for d in [&tmp, &bin, &seen] {
        std::fs::create_dir(d).unwrap();
    }
    for (program, output) in [
        ("lp", "echo 'request id is FAKE-1 (1 file(s))'"),
        (
            "lpstat",
            "case \"$1\" in -e) echo FAKE ;; -d) echo 'system default destination: FAKE' ;; esac",
        ),
        ("xdg-open", "true"),
        ("fc-match", "exit 1"),
    ] {
        let script = bin.join(program);
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nenv > '{}/{program}.'$$\n{output}\n",
                seen.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let csv = root.path().join("roster.csv");
    std::fs::write(
        &csv,
        format!(
            "区,路,弄,号,室,姓名,证件号码\n徐汇区,天钥桥路,100,5,301,张秀英,{}\n",
            NUMBERS[0]
        ),
    )
    .unwrap();
    let pdf = root.path().join("cards.pdf");
    let secrets: Env = vec![
        ("PATH", Box::leak(path.into_boxed_str())),
        ("NAC_PIN", PIN),
        ("NAC_NEW_PIN", PIN),
        ("NAC_NEW_PASSPHRASE", NEW_PASSPHRASE),
    ];
    let runs: Vec<Vec<&str>> = vec![
        vec!["import", csv.to_str().unwrap()],
        vec!["renew", "--id", NUMBERS[0]],
        vec!["volunteer", "add", "李梅"],
        vec!["--as", "李梅", "printers"],
        vec![
            "--as",
            "李梅",
            "print",
            "--all-active",
            "--out",
            pdf.to_str().unwrap(),
            "--printer",
            "FAKE",
            "--open",
        ],
        vec![
            "print",
            "--all-active",
            "--out",
            pdf.to_str().unwrap(),
            "--printer",
            "FAKE",
            "--open",
        ],
    ];
    for args in &runs {
        let out = nac(&data, &tmp, &secrets, args);
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut started = Vec::new();
    for file in files_under(&seen) {
        let env = std::fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(env.contains("PATH="), "{name} got no PATH: {env}");
        for secret in [
            "NAC_PASSPHRASE=",
            "NAC_PIN=",
            "NAC_NEW_PIN=",
            "NAC_NEW_PASSPHRASE=",
            PASSPHRASE,
            PIN,
            NEW_PASSPHRASE,
        ] {
            assert!(!env.contains(secret), "{name} inherited {secret}: {env}");
        }
        started.push(name.split('.').next().unwrap().to_string());
    }
    started.sort();
    started.dedup();
    // fc-match only runs where the fonts are not at their usual paths.
    started.retain(|p| p != "fc-match");
    assert_eq!(started, ["lp", "lpstat", "xdg-open"], "every stand-in ran");
}

/// Every member of a zip archive, inflated and concatenated.
fn unzip_all(bytes: &[u8]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut all = Vec::new();
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).unwrap();
        std::io::copy(&mut member, &mut all).unwrap();
    }
    all
}
