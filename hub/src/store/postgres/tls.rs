//! TLS to PostgreSQL (rustls with the ring provider), chosen by the URL's `sslmode` as libpq
//! chooses:
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow`, `prefer`, absent | if the server offers it | not checked |
//! | `require` | always | not checked; with `sslrootcert`, as `verify-ca` |
//! | `verify-ca` | always | issued by a CA in `sslrootcert` |
//! | `verify-full` | always | issued by a CA in `sslrootcert`, for the host in the URL |
//!
//! `sslrootcert=FILE` names a PEM file of CA certificates; without it the verifying modes use
//! `~/.postgresql/root.crt`, as libpq does. tokio-postgres itself knows only `disable`, `prefer`
//! and `require` and no `sslrootcert`, so the URL it is given is rewritten: those two
//! parameters taken out, `sslmode` put back as one it knows. Channel binding (SCRAM-SHA-256-PLUS)
//! comes with `tokio-postgres-rustls`.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::StoreError;

/// How to connect: the URL for tokio-postgres and the TLS connector, if any.
pub(super) struct Target {
    /// The URL with `sslmode` as tokio-postgres knows it and no `sslrootcert`.
    pub url: String,
    /// `None`: plain connections only (`sslmode=disable`).
    pub tls: Option<MakeRustlsConnect>,
    /// What was asked, for error messages (no secrets: the mode and the root file).
    pub described: String,
}

fn config_error(message: impl Into<String>) -> StoreError {
    StoreError::Pool(message.into())
}

/// Decodes `%XX` escapes (the URL's query values); anything malformed is kept as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(value as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Encryption only (`prefer`, `require`).
    Nothing,
    /// The chain to a root (`verify-ca`).
    Chain,
    /// The chain and the host name (`verify-full`).
    ChainAndName,
}

/// Reads the URL's `sslmode` and `sslrootcert` and makes the connector they ask for.
pub(super) fn target(url: &str) -> Result<Target, StoreError> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let (mut mode, mut root) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match percent_decode(key).as_str() {
            "sslmode" => mode = Some(percent_decode(value)),
            "sslrootcert" => root = Some(percent_decode(value)),
            _ => kept.push(pair),
        }
    }
    let (check, pg_mode) = match mode.as_deref() {
        Some("disable") => (None, "disable"),
        None | Some("allow" | "prefer") => (Some(Check::Nothing), "prefer"),
        Some("require") if root.is_some() => (Some(Check::Chain), "require"),
        Some("require") => (Some(Check::Nothing), "require"),
        Some("verify-ca") => (Some(Check::Chain), "require"),
        Some("verify-full") => (Some(Check::ChainAndName), "require"),
        Some(other) => {
            return Err(config_error(format!(
                "sslmode={other} is not one of disable, allow, prefer, require, verify-ca, \
                 verify-full"
            )))
        }
    };
    kept.push(match pg_mode {
        "disable" => "sslmode=disable",
        "prefer" => "sslmode=prefer",
        _ => "sslmode=require",
    });
    let url = format!("{base}?{}", kept.join("&"));
    let shown_mode = mode.as_deref().unwrap_or("prefer (the default)");
    let Some(check) = check else {
        return Ok(Target {
            url,
            tls: None,
            described: format!("sslmode={shown_mode}"),
        });
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = match check {
        Check::Nothing => None,
        Check::Chain | Check::ChainAndName => {
            Some(Arc::new(load_roots(root.as_deref(), shown_mode)?))
        }
    };
    let described = match (&root, check) {
        (Some(root), Check::Chain | Check::ChainAndName) => {
            format!("sslmode={shown_mode}, sslrootcert={root}")
        }
        _ => format!("sslmode={shown_mode}"),
    };
    let verifier = Verifier {
        roots,
        check_name: check == Check::ChainAndName,
        provider: provider.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| config_error(format!("TLS to PostgreSQL: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Target {
        url,
        tls: Some(MakeRustlsConnect::new(config)),
        described,
    })
}

/// The CA certificates of `sslrootcert`, or of `~/.postgresql/root.crt` as libpq defaults.
fn load_roots(root: Option<&str>, mode: &str) -> Result<RootCertStore, StoreError> {
    let path = match root {
        Some("system") => {
            return Err(config_error(
                "sslrootcert=system is not supported: name the CA certificate file",
            ))
        }
        Some(path) => PathBuf::from(path),
        None => match std::env::var_os("HOME") {
            Some(home) if PathBuf::from(&home).join(".postgresql/root.crt").exists() => {
                PathBuf::from(home).join(".postgresql/root.crt")
            }
            _ => {
                return Err(config_error(format!(
                    "sslmode={mode} checks the server's certificate: add \
                     sslrootcert=FILE (the CA certificate that issued it, PEM) to the URL"
                )))
            }
        },
    };
    let shown = path.display();
    let pem = std::fs::read(&path)
        .map_err(|e| config_error(format!("cannot read sslrootcert {shown}: {e}")))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert =
            cert.map_err(|e| config_error(format!("sslrootcert {shown} is not PEM: {e:?}")))?;
        roots
            .add(cert)
            .map_err(|e| config_error(format!("sslrootcert {shown}: {e}")))?;
    }
    if roots.is_empty() {
        return Err(config_error(format!(
            "sslrootcert {shown} holds no certificate"
        )));
    }
    Ok(roots)
}

/// Checks the server's certificate as the mode asks (always the handshake's signatures).
#[derive(Debug)]
struct Verifier {
    /// `None`: the certificate is not checked (encryption without authentication, as libpq's
    /// `prefer` and `require`).
    roots: Option<Arc<RootCertStore>>,
    check_name: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(roots) = &self.roots else {
            return Ok(ServerCertVerified::assertion());
        };
        let cert = ParsedCertificate::try_from(end_entity)?;
        verify_server_cert_signed_by_trust_anchor(
            &cert,
            roots,
            intermediates,
            now,
            self.provider.signature_verification_algorithms.all,
        )?;
        if self.check_name {
            verify_server_name(&cert, server_name)?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_keeps_its_other_parameters_and_gets_a_mode_tokio_postgres_knows() {
        let t = target("postgres://nac@db:5432/hub?application_name=hub&sslmode=disable").unwrap();
        assert_eq!(
            t.url,
            "postgres://nac@db:5432/hub?application_name=hub&sslmode=disable"
        );
        assert!(t.tls.is_none());
        let t = target("postgres://nac@db/hub").unwrap();
        assert_eq!(t.url, "postgres://nac@db/hub?sslmode=prefer");
        assert!(t.tls.is_some());
        let t = target("postgres://nac@db/hub?sslmode=require&connect_timeout=5").unwrap();
        assert_eq!(
            t.url,
            "postgres://nac@db/hub?connect_timeout=5&sslmode=require"
        );
    }

    #[test]
    fn verifying_modes_need_a_readable_root() {
        let err = target("postgres://db/hub?sslmode=verify-full&sslrootcert=%2Fnowhere%2Fca.pem")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("/nowhere/ca.pem"), "{err}");
        let err = target("postgres://db/hub?sslmode=verify")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("sslmode=verify is not one of"), "{err}");
        let err = target("postgres://db/hub?sslmode=verify-ca&sslrootcert=system")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("system"), "{err}");
    }

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(percent_decode("%2Fetc%2Fca.pem"), "/etc/ca.pem");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
