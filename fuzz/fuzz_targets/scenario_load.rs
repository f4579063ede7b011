//! The scenario loader on arbitrary text: never panics, whatever the YAML, and a scenario it
//! accepts loads again from the same text to the same steps (no hidden state between loads).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_harness::scenario::load::{LoadOptions, load_str};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let options = LoadOptions {
        extra_vars: vec!["user_id".to_string()],
    };
    let first = load_str("fuzz.yaml", text, &options);
    let second = load_str("fuzz.yaml", text, &options);
    match (first, second) {
        (Ok(a), Ok(b)) => assert_eq!(a.steps.len(), b.steps.len()),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("the same text loaded once and failed once"),
    }
});
