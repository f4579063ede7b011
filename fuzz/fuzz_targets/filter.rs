//! Filter parsing on arbitrary text: never panics, the canonical form parses back to the same
//! filter, and evaluating it against a typical Entra user never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_harness::scim::{Filter, ResourceSchema};
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(filter) = Filter::parse(text) else {
        return;
    };
    let canonical = filter.to_string();
    assert_eq!(
        Filter::parse(&canonical).as_ref(),
        Ok(&filter),
        "{canonical}"
    );
    let user = json!({
        "id": "u-1",
        "userName": "a@contoso.com",
        "active": false,
        "name": {"givenName": "A", "familyName": "B"},
        "emails": [{"type": "work", "value": "a@contoso.com", "primary": true}],
        "meta": {"lastModified": "2024-01-01T00:00:00Z"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m"}}
    });
    let _ = filter.matches(&user, &ResourceSchema::user());
});
