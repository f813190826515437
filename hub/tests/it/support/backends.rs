//! The two backends a test runs on: a SQLite file in a temporary directory, or a fresh
//! database on the test PostgreSQL server (`None` when there is none outside CI), and
//! `both_backends!`, which instantiates each named test once per backend.

use super::process::DataArg;

/// Where a test's hub keeps its data, and the directory for its files.
pub struct Env {
    pub data: DataArg,
    pub dir: tempfile::TempDir,
}

pub fn sqlite_env() -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    Some(Env {
        data: DataArg::Sqlite(dir.path().join("hub.db")),
        dir,
    })
}

pub fn postgres_env() -> Option<Env> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = rt.block_on(super::pg::fresh_database())?;
    let dir = tempfile::tempdir().unwrap();
    Some(Env {
        data: DataArg::Postgres(url, dir.path().join("keys")),
        dir,
    })
}

/// `both_backends!(a, b)`: modules `sqlite` and `postgres`, each with tests `a` and `b` calling
/// the module's own `a(env)` and `b(env)`.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() {
                if let Some(env) = $crate::support::backends::sqlite_env() { super::$name(env) }
            } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                if let Some(env) = $crate::support::backends::postgres_env() { super::$name(env) }
            } )*
        }
    };
}
