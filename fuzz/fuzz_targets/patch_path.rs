//! PATCH-path and attribute-path parsing on arbitrary text: never panics, the canonical form
//! parses back to the same path, and selecting with it never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_harness::scim::{AttrPath, PatchPath, ResourceSchema, select};
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = AttrPath::parse(text);
    let Ok(path) = PatchPath::parse(text) else {
        return;
    };
    let canonical = path.to_string();
    assert_eq!(
        PatchPath::parse(&canonical).as_ref(),
        Ok(&path),
        "{canonical}"
    );
    let user = json!({
        "userName": "a@contoso.com",
        "emails": [{"type": "work", "value": "a@contoso.com"}, {"type": "home", "value": "h@x"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m"}}
    });
    let _ = select(&user, &path, &ResourceSchema::user());
});
