//! A TLS front for the reference server: a rustls terminator on 127.0.0.1 with a certificate for
//! the given names, issued by a private CA generated here (written to a file for `--ca-cert`).
//! Included with `#[path]` by the TLS test files only, so the others do not compile rcgen in.

use std::net::SocketAddr;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::SupportedProtocolVersion;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::support::TestServer;

/// TLS 1.2 and 1.3, as a well-configured server offers them.
pub const BOTH: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12, &rustls::version::TLS13];

pub struct TlsFront {
    /// `https://127.0.0.1:<port>/scim/v2`
    pub url: String,
    /// The issuing CA, written to a file for `--ca-cert`.
    pub ca_file: tempfile::NamedTempFile,
}

/// Serves `backend` over TLS with the given versions and a certificate for `names`, issued by a
/// fresh private CA.
pub fn tls_front(
    backend: &TestServer,
    names: &[&str],
    versions: &[&'static SupportedProtocolVersion],
) -> TlsFront {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "scim-harness transport test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
        .expect("CA certificate");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        .expect("leaf params")
        .signed_by(&leaf_key, &ca)
        .expect("leaf certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone(), CertificateDer::from(ca.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let backend_url = url::Url::parse(&backend.url()).expect("backend URL");
    let backend_addr: SocketAddr =
        format!("127.0.0.1:{}", backend_url.port().expect("backend port"))
            .parse()
            .expect("address");
    let listener = backend
        .runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    backend.runtime.spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend_addr).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    let ca_file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(ca_file.path(), ca.pem()).expect("CA written");
    TlsFront {
        url: format!("https://127.0.0.1:{port}{}", backend_url.path()),
        ca_file,
    }
}
