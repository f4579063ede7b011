//! What the reference server is told at start: where to listen, the token, the profile, the quirks
//! and the latency.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use clap::builder::PossibleValue;

/// Everything `start` and `router` need. `Debug` never prints the token.
#[derive(Clone)]
pub struct ServerConfig {
    /// Address to bind; loopback by default so a test server is never reachable from outside.
    pub host: IpAddr,
    /// 0 picks a free ephemeral port.
    pub port: u16,
    /// `Some(t)`: every request needs `Authorization: Bearer t`. `None`: every request is refused
    /// with 401 unless [`Quirk::NoAuth`] is on, so a forgotten token never opens the server.
    pub token: Option<String>,
    /// Prefix of every SCIM endpoint, e.g. `/scim/v2` (Entra's "Tenant URL" path).
    pub base_path: String,
    pub profile: ServerProfile,
    pub quirks: Vec<Quirk>,
    /// Added before every answer, to imitate a distant endpoint or a slow backend.
    pub latency: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            token: None,
            base_path: "/scim/v2".to_string(),
            profile: ServerProfile::Entra,
            quirks: Vec::new(),
            latency: Duration::ZERO,
        }
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("token", &self.token.as_ref().map(|_| "(redacted)"))
            .field("base_path", &self.base_path)
            .field("profile", &self.profile)
            .field("quirks", &self.quirks)
            .field("latency", &self.latency)
            .finish()
    }
}

/// Which application the server imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ServerProfile {
    /// A full SCIM 2.0 service: Users (core + enterprise extension) and Groups, as Entra's
    /// non-gallery "custom SCIM" app expects.
    Entra,
    /// Insite LMS as its Entra gallery tutorial describes it: Users only, with userName, work
    /// email, active, given and family name and work phone; anything else sent is not stored.
    #[value(name = "insite-lms")]
    InsiteLms,
}

/// Declares [`Quirk`] from one table: the variant, its command-line name and its one-line
/// description (the defect, then what Entra does about it).
macro_rules! quirks {
    ($($variant:ident => $name:literal, $description:expr;)*) => {
        /// One realistic defect from the field (entra-reference.md §2 and §7), switched on with
        /// `--quirk NAME`, so users and tests can see what the harness reports against a broken
        /// server.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Quirk {
            $($variant,)*
        }

        impl Quirk {
            /// Every quirk, in the order `--list-quirks` prints them.
            pub fn all() -> &'static [Quirk] {
                &[$(Quirk::$variant,)*]
            }

            /// The kebab-case name used on the command line.
            pub fn name(self) -> &'static str {
                match self {
                    $(Quirk::$variant => $name,)*
                }
            }

            /// One line: the defect, then what Entra does about it.
            pub fn description(self) -> &'static str {
                match self {
                    $(Quirk::$variant => $description,)*
                }
            }
        }
    };
}

quirks! {
    EmptyFilter404 => "empty-filter-404",
        "answers 404 instead of an empty ListResponse when a filter matches nothing: \
                 Entra's Test Connection fails and the job can go into quarantine";
    CaseSensitiveUsername => "case-sensitive-username",
        "compares userName case-sensitively in filters and the duplicate check: Entra's \
                 match misses users whose case differs and creates duplicates";
    RejectCapitalisedOps => "reject-capitalised-ops",
        "rejects PATCH ops spelled Add/Replace/Remove with 400: every update and disable \
                 Entra sends in its default (legacy) mode fails";
    RejectStringBooleans => "reject-string-booleans",
        "rejects \"True\"/\"False\" strings for Boolean attributes with 400: Entra's \
                 legacy disable fails and users are never deprovisioned";
    PatchIgnored => "patch-ignored",
        "answers PATCH with 200 and the resource but applies nothing: Entra believes \
                 every update and disable succeeded while nothing changes";
    IgnoreFilter => "ignore-filter",
        "ignores the filter and lists every resource: Entra matches the wrong user or \
                 fails with DuplicateTargetEntries";
    PostReturns200 => "post-returns-200",
        "answers a successful create with 200 instead of 201 Created (RFC 7644 §3.3): \
                 strict clients and validators treat the create as failed";
    PostWithoutId => "post-without-id",
        "leaves id and Location out of the create response: Entra cannot record the \
                 target id, so later updates and deletes of the object fail";
    AllowDuplicates => "allow-duplicates",
        "accepts a second user with the same userName (or group with the same \
                 displayName) instead of 409: Entra's next match finds two and fails";
    NoAuth => "no-auth",
        "accepts requests without a valid bearer token: anyone who can reach the \
                 endpoint can create, change and delete users";
    RejectScimJson => "reject-scim-json",
        "answers 415 to bodies sent as application/scim+json: every create and update \
                 Entra sends fails";
    NoValuePaths => "no-value-paths",
        "rejects value paths such as emails[type eq \"work\"].value in PATCH and filters: \
                 Entra's email updates and member removals fail";
    NoValuePathUpsert => "no-value-path-upsert",
        "answers 400 noTarget to Add/Replace on emails[type eq \"work\"].value when no \
                 work email exists: Entra can never add a missing email";
    DottedKeysLiteral => "dotted-keys-literal",
        "stores path-less PATCH keys such as \"name.givenName\" as literal attribute \
                 names: names never change and Entra re-sends the update every cycle";
    IgnoreExcludedAttributes => "ignore-excluded-attributes",
        "ignores excludedAttributes: groups come back with members when Entra asked \
                 without them (MultipleEntriesInResponse on large groups)";
    LegacyRemoveClearsMembers => "legacy-remove-clears-members",
        "treats Entra's legacy member removal (Remove on members with a value list) as \
                 remove-all: unassigning one user empties the whole group";
    ActiveAlwaysTrue => "active-always-true",
        "cannot soft-delete: accepts active=false but keeps returning active true: \
                 disabled users keep access and Entra re-sends the disable every cycle";
    NonScimErrors => "non-scim-errors",
        "answers errors with HTML or plain-text bodies instead of SCIM Error JSON: Entra \
                 logs them as ServiceIncompatible without a usable reason";
    HtmlContentType => "html-content-type",
        "serves JSON bodies as text/html instead of application/scim+json (R18): what \
                 Entra does with them is not documented; clients that go by the media type \
                 may refuse them";
    RequireAcceptHeader => "require-accept-header",
        "answers 406 unless the request sends Accept: application/scim+json: Entra sends \
                 no Accept header, so Test Connection fails";
    RequireUserAgent => "require-user-agent",
        "refuses requests without a User-Agent with an HTML 403, as some WAFs do: Entra \
                 may send none, so Test Connection fails";
}

// Implemented by hand (instead of derived) so `name()` is the single source of the CLI spelling
// and `--help` shows each quirk's description.
impl clap::ValueEnum for Quirk {
    fn value_variants<'a>() -> &'a [Self] {
        Quirk::all()
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.description()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use clap::ValueEnum;

    use super::*;

    #[test]
    fn quirk_names_are_unique_kebab_case_and_parse_back() {
        let mut seen = HashSet::new();
        for &quirk in Quirk::all() {
            let name = quirk.name();
            assert!(seen.insert(name), "duplicate quirk name {name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name} is not kebab-case"
            );
            assert_eq!(Quirk::from_str(name, false), Ok(quirk));
            assert!(!quirk.description().is_empty());
        }
    }

    #[test]
    fn debug_hides_the_token() {
        let config = ServerConfig {
            token: Some("s3cr3t".to_string()),
            ..ServerConfig::default()
        };
        assert!(!format!("{config:?}").contains("s3cr3t"));
    }
}
