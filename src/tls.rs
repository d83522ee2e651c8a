//! TLS for the IMAP side (rustls with ring, the same stack lettre uses):
//! the trust store from `ca_file` or the built-in web roots, and handshake
//! errors that name the host and the certificate problem.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::TlsConnector;

/// TLS setup and handshake errors.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The CA file is unreadable or holds no certificate.
    #[error("ca_file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The host name is not usable as a TLS server name.
    #[error("'{0}' is not a valid TLS server name")]
    ServerName(String),
    /// The handshake failed.
    #[error("TLS handshake with {host}:{port} failed: {reason}")]
    Handshake {
        /// Server.
        host: String,
        /// Port.
        port: u16,
        /// The certificate or protocol problem.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// A client configuration trusting `ca_file` only, or the web roots without one.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let ca_err = |reason: String| TlsError::CaFile {
                path: path.to_path_buf(),
                reason,
            };
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|e| ca_err(format!("{e}")))?
                .collect::<Result<_, _>>()
                .map_err(|e| ca_err(format!("{e}")))?;
            if certs.is_empty() {
                return Err(ca_err("holds no PEM certificate".into()));
            }
            for c in certs {
                roots
                    .add(c)
                    .map_err(|e| ca_err(format!("unusable certificate: {e}")))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Runs the TLS handshake over an established TCP stream.
pub async fn handshake(
    config: Arc<rustls::ClientConfig>,
    host: &str,
    port: u16,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, TlsError> {
    let name =
        ServerName::try_from(host.to_string()).map_err(|_| TlsError::ServerName(host.into()))?;
    TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| {
            let mut reason = e.to_string();
            if reason.contains("UnknownIssuer") || reason.contains("invalid peer certificate") {
                reason.push_str(" (the server's certificate is not signed by a trusted CA: is ca_file the CA that issued it?)");
            } else if reason.contains("NotValidForName") {
                reason.push_str(" (the certificate does not name this host: use the host name it was issued for)");
            }
            TlsError::Handshake {
                host: host.to_string(),
                port,
                reason,
            }
        })
}
