//! The loader never panics or hangs, whatever the input: arbitrary text, and valid files with
//! random damage (the realistic case of a half-edited scenario).

use proptest::prelude::*;
use scim_harness::scenario::load::{LoadOptions, load_str};
use scim_harness::scenario::model::Location;
use scim_harness::scenario::template::{Template, Vars};

const VALID: &str = include_str!("fixtures/scenarios/good/every-form.yaml");
const BUILTIN: &str = include_str!("../scenarios/entra-core.yaml");

/// One edit to a text: replace a byte range with some (YAML-ish) characters.
#[derive(Debug, Clone)]
struct Edit {
    at: usize,
    remove: usize,
    insert: String,
}

fn edit() -> impl Strategy<Value = Edit> {
    (
        any::<usize>(),
        0usize..40,
        prop::string::string_regex("[-:{}\\[\\]\"' \n\t&*!|>#%@,a-z0-9]{0,12}").expect("regex"),
    )
        .prop_map(|(at, remove, insert)| Edit { at, remove, insert })
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut out = text.to_string();
    for edit in edits {
        let mut start = edit.at % (out.len() + 1);
        while !out.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + edit.remove).min(out.len());
        while !out.is_char_boundary(end) {
            end += 1;
        }
        out.replace_range(start..end, &edit.insert);
    }
    out
}

/// YAML values of every shape, including the awkward ones (empty mappings, wrong types).
fn shape() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "{}",
        "[]",
        "\"\"",
        "x",
        "1",
        "-1",
        "99999999999999999999",
        "1.5",
        "true",
        "null",
        "[1, x]",
        "[[]]",
        "{a: 1}",
        "{bearer: x}",
        "{bearer: {}}",
        "{redact: []}",
        "{redact: [1]}",
        "{redact: x}",
        "{equals: 1, exists: true}",
        "{exists: true}",
        "{exists: false}",
        "{one_of: x}",
        "{one_of: [\"{{x}}\"]}",
        "{type: x}",
        "{type: integer}",
        "{total: 1}",
        "{contains: [x]}",
        "/id",
        "/~",
        "header:",
        "header:X",
        "\"{{\"",
        "\"{{x}}\"",
        "\"{{guid|x}}\"",
        "\"{{run.prefix | upper}}\"",
        "[200, 2000]",
        "&a [*a]",
    ])
}

/// A valid value for each slot of [`shapes_document`].
const VALID_SLOTS: [&str; 12] = [
    "x",
    "token",
    "x",
    "{a: 1}",
    "/id",
    "true",
    "/Users/x",
    "200",
    "{total: 1}",
    "1",
    "1",
    "{exists: true}",
];

/// A one-step scenario with a value slot in every key that takes several shapes.
fn shapes_document(values: &[&str; 12]) -> String {
    format!(
        "title: t\nvars: {{v: {}}}\nsteps:\n  - name: a\n    title: b\n    auth: {}\n    \
         request: {{method: GET, path: /Users, query: {{q: {}}}, body: {}}}\n    \
         capture: {{c: {}}}\n    snapshot: {}\n    cleanup: {{method: DELETE, path: {}}}\n    \
         expect:\n      - {{id: a, title: b, requirement: c, status: {}, list: {}, \
         attributes: {{x: {}}}, json: {{/x: {}}}, headers: {{X: {}}}}}\n",
        values[0],
        values[1],
        values[2],
        values[3],
        values[4],
        values[5],
        values[6],
        values[7],
        values[8],
        values[9],
        values[10],
        values[11],
    )
}

#[test]
fn the_shapes_document_is_valid_as_is() {
    let text = shapes_document(&VALID_SLOTS);
    if let Err(error) = load_str("shapes.yaml", &text, &opts()) {
        panic!("{error}");
    }
}

fn opts() -> LoadOptions {
    LoadOptions {
        extra_vars: vec!["tenant".into()],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = load_str("fuzz.yaml", &text, &opts()).map_err(|e| e.to_string());
    }

    #[test]
    fn yaml_shaped_text_never_panics(text in "[-:{}\\[\\]\"' \n&*!|>#a-z0-9]{0,300}") {
        let _ = load_str("fuzz.yaml", &text, &opts()).map_err(|e| e.to_string());
    }

    #[test]
    fn damaged_valid_files_never_panic(edits in prop::collection::vec(edit(), 1..4)) {
        for base in [VALID, BUILTIN] {
            let text = apply(base, &edits);
            if let Err(error) = load_str("damaged.yaml", &text, &opts()) {
                let message = error.to_string();
                prop_assert!(message.starts_with("error: "), "{}", message);
            }
        }
    }

    #[test]
    fn every_key_with_every_shape_never_panics(
        changes in prop::collection::vec((0usize..12, shape()), 1..3)
    ) {
        // One or two slots take an arbitrary shape, the rest stay valid, so validation reaches
        // the odd value instead of stopping at an earlier error.
        let mut values = VALID_SLOTS;
        for (slot, value) in changes {
            values[slot] = value;
        }
        let text = shapes_document(&values);
        let _ = load_str("shapes.yaml", &text, &opts()).map_err(|e| e.to_string());
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow(depth in 0usize..400, maps in any::<bool>()) {
        let (open, close) = if maps { ("{a: ", "}") } else { ("[", "]") };
        let nested = format!("{}1{}", open.repeat(depth), close.repeat(depth));
        let text = format!(
            "title: t\nsteps:\n  - name: a\n    title: b\n    request: {{method: POST, path: /Users, body: {nested}}}\n"
        );
        let _ = load_str("deep.yaml", &text, &opts());
    }

    #[test]
    fn templates_never_panic(text in "[{}|\" a-z.]{0,40}") {
        let location = Location { file: "t.yaml".into(), line: 1, column: 1 };
        if let Ok(template) = Template::parse(&text, location) {
            let _ = template.render(&Vars::new());
        }
    }

    #[test]
    fn text_without_braces_renders_as_itself(text in "[^{]{0,60}") {
        let location = Location { file: "t.yaml".into(), line: 1, column: 1 };
        let template = Template::parse(&text, location).expect("no placeholders");
        prop_assert_eq!(template.render(&Vars::new()).expect("no variables"), text);
    }
}
