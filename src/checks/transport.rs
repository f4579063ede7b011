//! What the transport probe found about an https target (R1), and the `transport:` assertions
//! judged on it. The probe itself is the runner's ([`crate::run::http::HttpClient::probe_tls`]).

use crate::scenario::model::TransportCheck;

/// One probed property of the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probed {
    Holds,
    /// It does not hold: the reason, as the TLS layer gave it.
    Broken(String),
    /// Not checked on purpose (`--insecure`): a warning, never a pass.
    NotVerified(String),
    /// It could not be judged (no https, no connection): the reason.
    Unknown(String),
}

/// The transport facts of one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportFacts {
    /// A handshake restricted to TLS 1.2.
    pub tls12: Probed,
    /// The certificate under the run's normal verification.
    pub certificate: Probed,
}

impl TransportFacts {
    /// Facts for a target that is not https: nothing to probe.
    pub fn not_https(reason: &str) -> TransportFacts {
        TransportFacts {
            tls12: Probed::Unknown(reason.to_string()),
            certificate: Probed::Unknown(reason.to_string()),
        }
    }

    fn get(&self, check: TransportCheck) -> &Probed {
        match check {
            TransportCheck::Tls12 => &self.tls12,
            TransportCheck::Certificate => &self.certificate,
        }
    }
}

/// `Ok(details)` (empty when it holds) or `Err(reason)` when it cannot be judged, like every
/// assertion. Not verified counts as holding here; [`not_verified`] turns it into a warning.
pub(super) fn check(
    check: TransportCheck,
    facts: Option<&TransportFacts>,
) -> Result<Vec<String>, String> {
    let facts = facts.ok_or("the transport was not probed for this step")?;
    match facts.get(check) {
        Probed::Holds | Probed::NotVerified(_) => Ok(Vec::new()),
        Probed::Broken(reason) => Ok(vec![match check {
            TransportCheck::Tls12 => format!("a handshake restricted to TLS 1.2 failed: {reason}"),
            TransportCheck::Certificate => format!("the certificate was refused: {reason}"),
        }]),
        Probed::Unknown(reason) => Err(reason.clone()),
    }
}

/// Why the check holds only because nothing was verified, if that is so.
pub(super) fn not_verified(
    check: TransportCheck,
    facts: Option<&TransportFacts>,
) -> Option<String> {
    match facts?.get(check) {
        Probed::NotVerified(reason) => Some(reason.clone()),
        _ => None,
    }
}
