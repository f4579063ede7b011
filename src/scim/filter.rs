//! SCIM filters (RFC 7644 §3.4.2.2): parsing, a canonical text form, and evaluation against a
//! JSON resource with the schema's caseExact and type rules.
//!
//! Grammar (keywords and operators case-insensitive, precedence `not` > `and` > `or`):
//! ```text
//! filter    = or
//! or        = and *("or" and)
//! and       = unary *("and" unary)
//! unary     = "not" "(" filter ")" / "(" filter ")" / attrExp
//! attrExp   = attrPath "pr" / attrPath compareOp compValue
//!           / attrPath "[" filter "]" [ "." subAttr ( "pr" / compareOp compValue ) ]
//! compValue = JSON string / true / false / null / JSON number
//! ```
//! The optional tail after `]` is Entra's non-standard `emails[type eq "work"].value eq "x"`;
//! it is read as `emails[type eq "work" and value eq "x"]`, which means the same.

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Number, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::path::{self, AttrPath};
use super::schema::{AttrType, AttributeDef, ResourceSchema};

/// Nesting deeper than this is refused, so hostile input cannot overflow the stack.
const MAX_DEPTH: usize = 64;

/// More `and` / `or` operators than this are refused: long chains build a deep tree too, and
/// evaluating or dropping it recurses once per operator.
const MAX_OPERATORS: usize = 256;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    Compare {
        attr: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    Present(AttrPath),
    /// `attr[filter]`: some element of `attr` matches `filter` (whose paths are relative to the
    /// element).
    ValuePath {
        attr: AttrPath,
        filter: Box<Filter>,
    },
    Not(Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    fn parse(word: &str) -> Option<CompareOp> {
        [
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Co,
            CompareOp::Sw,
            CompareOp::Ew,
            CompareOp::Gt,
            CompareOp::Ge,
            CompareOp::Lt,
            CompareOp::Le,
        ]
        .into_iter()
        .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    fn accepts(self, ordering: Ordering) -> bool {
        match self {
            CompareOp::Eq => ordering.is_eq(),
            CompareOp::Ne => ordering.is_ne(),
            CompareOp::Gt => ordering.is_gt(),
            CompareOp::Ge => ordering.is_ge(),
            CompareOp::Lt => ordering.is_lt(),
            CompareOp::Le => ordering.is_le(),
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
        }
    }
}

/// The literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompValue {
    Str(String),
    Bool(bool),
    Null,
    Number(Number),
}

impl CompValue {
    /// The literal as a JSON value (used to build an element from an equality filter).
    pub fn to_json(&self) -> Value {
        match self {
            CompValue::Str(text) => Value::String(text.clone()),
            CompValue::Bool(flag) => Value::Bool(*flag),
            CompValue::Null => Value::Null,
            CompValue::Number(number) => Value::Number(number.clone()),
        }
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Str(text) => write!(f, "{}", Value::String(text.clone())),
            CompValue::Bool(flag) => write!(f, "{flag}"),
            CompValue::Null => f.write_str("null"),
            CompValue::Number(number) => write!(f, "{number}"),
        }
    }
}

/// A filter that does not parse; `position` is a byte offset into the filter text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {position})")]
pub struct FilterError {
    pub position: usize,
    pub message: String,
}

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        Parser::new(text, false).parse_all()
    }

    /// Whether `resource` matches. Unknown attributes compare case-insensitively (RFC 7643
    /// §2.2 default); a multi-valued attribute matches if any element does; `ne` is the
    /// negation of `eq` (so a missing attribute is `ne` anything); `eq null` means absent.
    pub fn matches(&self, resource: &Value, schema: &ResourceSchema) -> bool {
        self.eval(resource, Scope::Resource, schema)
    }

    /// Whether one element of the multi-valued attribute `parent` matches this value filter.
    pub(crate) fn matches_element(
        &self,
        element: &Value,
        parent: &AttrPath,
        schema: &ResourceSchema,
    ) -> bool {
        self.eval(element, Scope::Element(parent), schema)
    }

    /// The `attr eq literal` constraints of an `and` chain: the element an upsert must create
    /// so that it matches this filter. `None` when the filter says more than that.
    pub(crate) fn equality_template(&self) -> Option<Vec<(&AttrPath, &CompValue)>> {
        match self {
            Filter::Compare {
                attr,
                op: CompareOp::Eq,
                value,
            } if attr.urn.is_none() && attr.sub_attr.is_none() && *value != CompValue::Null => {
                Some(vec![(attr, value)])
            }
            Filter::And(left, right) => {
                let mut pairs = left.equality_template()?;
                pairs.extend(right.equality_template()?);
                Some(pairs)
            }
            _ => None,
        }
    }

    fn eval(&self, target: &Value, scope: Scope, schema: &ResourceSchema) -> bool {
        match self {
            Filter::And(left, right) => {
                left.eval(target, scope, schema) && right.eval(target, scope, schema)
            }
            Filter::Or(left, right) => {
                left.eval(target, scope, schema) || right.eval(target, scope, schema)
            }
            Filter::Not(inner) => !inner.eval(target, scope, schema),
            Filter::Present(attr) => scope
                .values(target, attr, schema)
                .into_iter()
                .any(|value| !is_empty(value)),
            Filter::ValuePath { attr, filter } => scope
                .values(target, attr, schema)
                .into_iter()
                .any(|element| filter.eval(element, Scope::Element(attr), schema)),
            Filter::Compare { attr, op, value } => {
                let def = scope.definition(attr, schema);
                let candidates: Vec<&Value> = scope
                    .values(target, attr, schema)
                    .into_iter()
                    .map(comparable)
                    .filter(|value| !value.is_null())
                    .collect();
                match (op, value) {
                    (CompareOp::Eq, CompValue::Null) => candidates.is_empty(),
                    (CompareOp::Ne, CompValue::Null) => !candidates.is_empty(),
                    (CompareOp::Ne, literal) => !candidates
                        .iter()
                        .any(|candidate| compare(candidate, CompareOp::Eq, literal, def)),
                    (op, literal) => candidates
                        .iter()
                        .any(|candidate| compare(candidate, *op, literal, def)),
                }
            }
        }
    }

    fn precedence(&self) -> u8 {
        match self {
            Filter::Or(..) => 0,
            Filter::And(..) => 1,
            _ => 2,
        }
    }
}

/// Where a filter's attribute paths are resolved: the resource, or one element of a
/// multi-valued attribute (inside `[...]`).
#[derive(Clone, Copy)]
enum Scope<'p> {
    Resource,
    Element(&'p AttrPath),
}

impl Scope<'_> {
    fn values<'v>(
        self,
        target: &'v Value,
        attr: &AttrPath,
        schema: &ResourceSchema,
    ) -> Vec<&'v Value> {
        match self {
            Scope::Resource => path::attribute_values(target, attr, schema),
            Scope::Element(_) => path::element_values(target, attr),
        }
    }

    fn definition<'s>(
        self,
        attr: &AttrPath,
        schema: &'s ResourceSchema,
    ) -> Option<&'s AttributeDef> {
        match self {
            Scope::Resource => schema.find(attr),
            Scope::Element(parent) if attr.sub_attr.is_none() && attr.urn.is_none() => {
                schema.find(&AttrPath {
                    sub_attr: Some(attr.name.clone()),
                    ..parent.parent()
                })
            }
            Scope::Element(_) => None,
        }
    }
}

/// A complex value compares through its `value` sub-attribute (`emails co "x"`).
fn comparable(value: &Value) -> &Value {
    match value {
        Value::Object(object) => path::get_ci(object, "value").unwrap_or(&Value::Null),
        other => other,
    }
}

/// `pr` is false for null, "", [] and {} (RFC 7644 §3.4.2.2).
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(elements) => elements.is_empty(),
        Value::Object(object) => object.is_empty(),
        _ => false,
    }
}

fn compare(
    candidate: &Value,
    op: CompareOp,
    literal: &CompValue,
    def: Option<&AttributeDef>,
) -> bool {
    match (candidate, literal) {
        (Value::String(actual), CompValue::Str(expected)) => {
            let is_date = def.is_some_and(|d| d.kind == AttrType::DateTime);
            if is_date && !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                let parse = |text: &str| OffsetDateTime::parse(text, &Rfc3339).ok();
                if let (Some(actual), Some(expected)) = (parse(actual), parse(expected)) {
                    return op.accepts(actual.cmp(&expected));
                }
            }
            if def.is_some_and(|d| d.case_exact) {
                compare_text(actual, op, expected)
            } else {
                compare_text(&actual.to_lowercase(), op, &expected.to_lowercase())
            }
        }
        // A server that serialises an id (or another string attribute) as a JSON number still
        // means the same value: `id eq "1012"` finds `"id": 1012`. Ordering stays typed, since
        // text order is not number order; booleans stay strict.
        (Value::Number(actual), CompValue::Str(expected))
            if matches!(
                op,
                CompareOp::Eq | CompareOp::Ne | CompareOp::Co | CompareOp::Sw | CompareOp::Ew
            ) =>
        {
            compare_text(&actual.to_string(), op, expected)
        }
        (Value::Bool(actual), CompValue::Bool(expected)) => match op {
            CompareOp::Eq => actual == expected,
            CompareOp::Ne => actual != expected,
            _ => false,
        },
        (Value::Number(actual), CompValue::Number(expected)) => {
            let ordering = match (actual.as_i64(), expected.as_i64()) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                _ => match (actual.as_f64(), expected.as_f64()) {
                    (Some(a), Some(b)) => a.partial_cmp(&b),
                    _ => None,
                },
            };
            ordering.is_some_and(|ordering| op.accepts(ordering))
        }
        _ => false,
    }
}

fn compare_text(actual: &str, op: CompareOp, expected: &str) -> bool {
    match op {
        CompareOp::Co => actual.contains(expected),
        CompareOp::Sw => actual.starts_with(expected),
        CompareOp::Ew => actual.ends_with(expected),
        ordered => ordered.accepts(actual.cmp(expected)),
    }
}

/// Canonical form: lowercase keywords, JSON string literals, parentheses only where the
/// precedence needs them. It parses back to an equal filter.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { attr, op, value } => write!(f, "{attr} {} {value}", op.as_str()),
            Filter::Present(attr) => write!(f, "{attr} pr"),
            Filter::ValuePath { attr, filter } => write!(f, "{attr}[{filter}]"),
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::And(left, right) => write_binary(f, left, "and", right, 1),
            Filter::Or(left, right) => write_binary(f, left, "or", right, 0),
        }
    }
}

/// Left-associative: the left operand may sit at the same level, the right one may not.
fn write_binary(
    f: &mut fmt::Formatter<'_>,
    left: &Filter,
    keyword: &str,
    right: &Filter,
    level: u8,
) -> fmt::Result {
    if left.precedence() < level {
        write!(f, "({left})")?;
    } else {
        write!(f, "{left}")?;
    }
    write!(f, " {keyword} ")?;
    if right.precedence() <= level {
        write!(f, "({right})")
    } else {
        write!(f, "{right}")
    }
}

/// The filter inside a PATCH path's brackets: like [`Filter::parse`], without nested `[`.
pub(crate) fn parse_value_filter(text: &str) -> Result<Filter, FilterError> {
    Parser::new(text, true).parse_all()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// A string literal, quotes included.
    Str(&'a str),
    Word(&'a str),
    End,
}

impl Token<'_> {
    fn describe(&self) -> String {
        match self {
            Token::LParen => "\"(\"".into(),
            Token::RParen => "\")\"".into(),
            Token::LBracket => "\"[\"".into(),
            Token::RBracket => "\"]\"".into(),
            Token::Str(text) | Token::Word(text) => format!("{text:?}"),
            Token::End => "the end of the filter".into(),
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
    operators: usize,
    in_brackets: bool,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, in_brackets: bool) -> Parser<'a> {
        Parser {
            text,
            pos: 0,
            depth: 0,
            operators: 0,
            in_brackets,
        }
    }

    fn error<T>(&self, position: usize, message: impl Into<String>) -> Result<T, FilterError> {
        Err(FilterError {
            position,
            message: message.into(),
        })
    }

    fn parse_all(mut self) -> Result<Filter, FilterError> {
        if self.peek()?.0 == Token::End {
            return self.error(self.pos, "the filter is empty");
        }
        let filter = self.parse_or()?;
        match self.peek()? {
            (Token::End, ..) => Ok(filter),
            (token, start, _) => self.error(start, format!("unexpected {}", token.describe())),
        }
    }

    /// The next token with its byte range, without consuming it.
    fn peek(&self) -> Result<(Token<'a>, usize, usize), FilterError> {
        let rest = &self.text[self.pos..];
        let start = self.pos + (rest.len() - rest.trim_start().len());
        let rest = &self.text[start..];
        let Some(first) = rest.chars().next() else {
            return Ok((Token::End, start, start));
        };
        let single = |token| Ok((token, start, start + 1));
        match first {
            '(' => single(Token::LParen),
            ')' => single(Token::RParen),
            '[' => single(Token::LBracket),
            ']' => single(Token::RBracket),
            '"' => {
                let mut escaped = false;
                for (at, byte) in rest.bytes().enumerate().skip(1) {
                    match (escaped, byte) {
                        (true, _) => escaped = false,
                        (false, b'\\') => escaped = true,
                        (false, b'"') => {
                            let end = start + at + 1;
                            return Ok((Token::Str(&self.text[start..end]), start, end));
                        }
                        _ => {}
                    }
                }
                self.error(start, "the string is never closed")
            }
            _ => {
                let len = rest
                    .find(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"'))
                    .unwrap_or(rest.len());
                Ok((Token::Word(&rest[..len]), start, start + len))
            }
        }
    }

    fn keyword(&self, keyword: &str) -> Result<Option<usize>, FilterError> {
        Ok(match self.peek()? {
            (Token::Word(word), _, end) if word.eq_ignore_ascii_case(keyword) => Some(end),
            _ => None,
        })
    }

    fn expect(&mut self, expected: Token<'static>) -> Result<(), FilterError> {
        match self.peek()? {
            (token, _, end) if token == expected => {
                self.pos = end;
                Ok(())
            }
            (token, start, _) => self.error(
                start,
                format!(
                    "expected {}, found {}",
                    expected.describe(),
                    token.describe()
                ),
            ),
        }
    }

    fn parse_or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.parse_and()?;
        while let Some(end) = self.keyword("or")? {
            self.count_operator()?;
            self.pos = end;
            let right = self.parse_and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.parse_unary()?;
        while let Some(end) = self.keyword("and")? {
            self.count_operator()?;
            self.pos = end;
            let right = self.parse_unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn count_operator(&mut self) -> Result<(), FilterError> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return self.error(
                self.pos,
                format!("more than {MAX_OPERATORS} and/or operators"),
            );
        }
        Ok(())
    }

    fn parse_unary(&mut self) -> Result<Filter, FilterError> {
        if self.depth >= MAX_DEPTH {
            return self.error(self.pos, format!("nested deeper than {MAX_DEPTH} levels"));
        }
        self.depth += 1;
        let result = self.parse_unary_inner();
        self.depth -= 1;
        result
    }

    fn parse_unary_inner(&mut self) -> Result<Filter, FilterError> {
        let (token, start, end) = self.peek()?;
        match token {
            Token::LParen => {
                self.pos = end;
                let inner = self.parse_or()?;
                self.expect(Token::RParen)?;
                Ok(inner)
            }
            Token::Word(word) if word.eq_ignore_ascii_case("not") => {
                let saved = self.pos;
                self.pos = end;
                if self.peek()?.0 == Token::LParen {
                    self.pos = self.peek()?.2;
                    let inner = self.parse_or()?;
                    self.expect(Token::RParen)?;
                    Ok(Filter::Not(Box::new(inner)))
                } else {
                    // An attribute that happens to be called "not".
                    self.pos = saved;
                    self.parse_attr_expr(word, start, end)
                }
            }
            Token::Word(word) => self.parse_attr_expr(word, start, end),
            other => self.error(
                start,
                format!(
                    "expected an attribute, \"(\" or \"not\", found {}",
                    other.describe()
                ),
            ),
        }
    }

    fn parse_attr_expr(
        &mut self,
        word: &'a str,
        start: usize,
        end: usize,
    ) -> Result<Filter, FilterError> {
        let attr = AttrPath::parse(word).map_err(|e| FilterError {
            position: start + e.position,
            message: e.message,
        })?;
        self.pos = end;
        let (token, bracket, after_bracket) = self.peek()?;
        if token != Token::LBracket {
            return self.parse_comparison(attr);
        }
        if self.in_brackets {
            return self.error(bracket, "value filters cannot be nested");
        }
        if attr.sub_attr.is_some() {
            return self.error(
                bracket,
                "a value filter must follow the attribute, not a sub-attribute",
            );
        }
        self.pos = after_bracket;
        self.in_brackets = true;
        let inner = self.parse_or();
        self.in_brackets = false;
        let inner = inner?;
        self.expect(Token::RBracket)?;
        let tail = match self.peek()? {
            (Token::Word(word), start, end) if word.starts_with('.') => Some((word, start, end)),
            _ => None,
        };
        let filter = match tail {
            None => inner,
            Some((word, start, end)) => {
                let sub = &word[1..];
                path::check_name(sub, start + 1).map_err(|e| FilterError {
                    position: e.position,
                    message: e.message,
                })?;
                self.pos = end;
                let comparison = self.parse_comparison(AttrPath::named(sub))?;
                Filter::And(Box::new(inner), Box::new(comparison))
            }
        };
        Ok(Filter::ValuePath {
            attr,
            filter: Box::new(filter),
        })
    }

    fn parse_comparison(&mut self, attr: AttrPath) -> Result<Filter, FilterError> {
        let (token, start, end) = self.peek()?;
        let Token::Word(word) = token else {
            return self.error(
                start,
                format!("expected an operator, found {}", token.describe()),
            );
        };
        if word.eq_ignore_ascii_case("pr") {
            self.pos = end;
            return Ok(Filter::Present(attr));
        }
        let Some(op) = CompareOp::parse(word) else {
            return self.error(
                start,
                format!(
                    "unknown operator {word:?}; expected eq, ne, co, sw, ew, gt, ge, lt, le or pr"
                ),
            );
        };
        self.pos = end;
        let value = self.parse_value()?;
        Ok(Filter::Compare { attr, op, value })
    }

    fn parse_value(&mut self) -> Result<CompValue, FilterError> {
        let (token, start, end) = self.peek()?;
        let value = match token {
            Token::Str(literal) => match serde_json::from_str::<String>(literal) {
                Ok(text) => CompValue::Str(text),
                Err(e) => return self.error(start, format!("invalid string literal: {e}")),
            },
            Token::Word(word) if word.eq_ignore_ascii_case("true") => CompValue::Bool(true),
            Token::Word(word) if word.eq_ignore_ascii_case("false") => CompValue::Bool(false),
            Token::Word(word) if word.eq_ignore_ascii_case("null") => CompValue::Null,
            Token::Word(word) if word.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                match parse_number(word) {
                    Some(number) => CompValue::Number(number),
                    None => return self.error(start, format!("{word:?} is not a valid number")),
                }
            }
            Token::Word(word) => {
                return self.error(
                    start,
                    format!("unquoted value {word:?}: strings must be in double quotes"),
                );
            }
            other => {
                return self.error(
                    start,
                    format!("expected a value, found {}", other.describe()),
                );
            }
        };
        self.pos = end;
        Ok(value)
    }
}

/// A JSON number literal. Fractions are read with the standard library, which rounds exactly
/// (serde_json's default float parser can be off by one ulp), so the canonical text round-trips.
fn parse_number(word: &str) -> Option<Number> {
    let number = serde_json::from_str::<Number>(word).ok()?;
    if number.is_f64() {
        word.parse::<f64>().ok().and_then(Number::from_f64)
    } else {
        Some(number)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::path::PatchPath;
    use super::*;

    fn parse(text: &str) -> Filter {
        Filter::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn canonical_forms() {
        let cases = [
            (r#"userName eq "bjensen""#, r#"userName eq "bjensen""#),
            (r#"userName EQ "x""#, r#"userName eq "x""#),
            (
                r#"name.familyName co "O'Malley""#,
                r#"name.familyName co "O'Malley""#,
            ),
            (r#"title pr"#, "title pr"),
            (
                r#"title PR and userType eq "Employee""#,
                r#"title pr and userType eq "Employee""#,
            ),
            (
                r#"a eq "1" or b eq "2" and c eq "3""#,
                r#"a eq "1" or b eq "2" and c eq "3""#,
            ),
            (
                r#"(a eq "1" or b eq "2") and c eq "3""#,
                r#"(a eq "1" or b eq "2") and c eq "3""#,
            ),
            (
                r#"a eq "1" and (b eq "2" and c eq "3")"#,
                r#"a eq "1" and (b eq "2" and c eq "3")"#,
            ),
            (r#"not(a eq "1")"#, r#"not (a eq "1")"#),
            (r#"x eq "a" and(b eq "c")"#, r#"x eq "a" and b eq "c""#),
            (
                r#"NOT (a eq "1") AND b Ne "2""#,
                r#"not (a eq "1") and b ne "2""#,
            ),
            (
                r#"emails[type eq "work" and value co "@example.com"]"#,
                r#"emails[type eq "work" and value co "@example.com"]"#,
            ),
            (
                r#"emails[type eq "work"].value eq "x""#,
                r#"emails[type eq "work" and value eq "x"]"#,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7""#,
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7""#,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m""#,
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m""#,
            ),
            (
                r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
                r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            ),
            (r#"active eq True"#, "active eq true"),
            (r#"x eq null"#, "x eq null"),
            (r#"x ge -1.5"#, "x ge -1.5"),
            ("a eq \"\\u00e9\\n\\\"\"", "a eq \"é\\n\\\"\""),
            (r#"members[$ref eq "x"]"#, r#"members[$ref eq "x"]"#),
            ("userName\teq\t\"x\"  ", r#"userName eq "x""#),
            (r#"userName eq"x""#, r#"userName eq "x""#),
        ];
        for (text, canonical) in cases {
            let filter = parse(text);
            assert_eq!(filter.to_string(), canonical, "{text}");
            assert_eq!(parse(canonical), filter, "{text}");
        }
    }

    #[test]
    fn not_binds_tighter_than_and_than_or() {
        let filter = parse(r#"not (a pr) and b pr or c pr"#);
        let Filter::Or(left, _) = filter else {
            panic!("or at the top");
        };
        assert!(matches!(*left, Filter::And(ref not, _) if matches!(**not, Filter::Not(_))));
    }

    #[test]
    fn invalid_filters_report_a_position() {
        let cases = [
            ("", 0),
            ("userName", 8),
            (r#"userName eq bjensen"#, 12),
            (r#"userName xx "a""#, 9),
            (r#"userName eq "a"#, 12),
            (r#"(userName eq "a""#, 16),
            (r#"userName eq "a")"#, 15),
            (r#"userName eq "a" and"#, 19),
            (r#"emails[type eq "work""#, 21),
            (r#"emails[type[x eq "1"] eq "work"]"#, 11),
            (r#"a eq 1.5e400"#, 5),
            (r#"a eq "\q""#, 5),
            (r#"a.b.c eq "1""#, 3),
            (r#"not a eq "1""#, 4),
            (r#"a eq "1" b eq "2""#, 9),
        ];
        for (text, position) in cases {
            let error = Filter::parse(text).expect_err(text);
            assert_eq!(error.position, position, "{text}: {error}");
        }
        let deep = format!("{}a pr{}", "(".repeat(100), ")".repeat(100));
        assert!(Filter::parse(&deep).is_err());
        let long = vec!["a pr"; 300].join(" and ");
        assert!(Filter::parse(&long).is_err());
    }

    #[test]
    fn longest_accepted_chain_evaluates_and_drops_on_a_small_stack() {
        let longest = vec![r#"userName eq "x""#; MAX_OPERATORS + 1].join(" or ");
        let filter = parse(&longest);
        let run = move || {
            let schema = ResourceSchema::user();
            let matched = filter.matches(&json!({"userName": "x"}), &schema);
            let text = filter.to_string();
            drop(filter);
            (matched, text.len())
        };
        let (matched, _) = std::thread::Builder::new()
            // Half of a tokio worker's 2 MiB stack, in an unoptimised build.
            .stack_size(1024 * 1024)
            .spawn(run)
            .expect("spawn")
            .join()
            .expect("no stack overflow");
        assert!(matched);
    }

    #[test]
    fn matching_follows_case_exactness_and_multi_values() {
        let user = ResourceSchema::user();
        let resource = json!({
            "id": "Abc-1",
            "externalId": "Ext",
            "userName": "Bjensen@Example.com",
            "displayName": "Babs Jensen",
            "active": true,
            "title": "",
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            "emails": [
                {"type": "home", "value": "babs@home.example"},
                {"type": "work", "value": "BJensen@Example.com", "primary": true}
            ],
            "meta": {"lastModified": "2024-05-13T04:42:34Z"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984",
                "manager": {"value": "m-1"}
            },
            "custom": 5
        });
        let cases = [
            (r#"userName eq "bjensen@example.com""#, true),
            (r#"USERNAME Eq "BJENSEN@EXAMPLE.COM""#, true),
            (r#"id eq "abc-1""#, false),
            (r#"id eq "Abc-1""#, true),
            (r#"externalId eq "ext""#, false),
            (r#"externalId eq "Ext""#, true),
            (r#"displayName sw "babs""#, true),
            (r#"displayName ew "JENSEN""#, true),
            (r#"name.familyName co "ens""#, true),
            (
                r#"emails[type eq "work"].value eq "bjensen@example.com""#,
                true,
            ),
            (
                r#"emails[type eq "home"].value eq "bjensen@example.com""#,
                false,
            ),
            (r#"emails[type eq "work" and primary eq true]"#, true),
            (r#"emails.value co "home""#, true),
            (r#"emails co "babs@""#, true),
            (r#"emails.type eq "other""#, false),
            (r#"emails.type ne "other""#, true),
            (r#"emails.type ne "work""#, false),
            (r#"title pr"#, false),
            (r#"nickName pr"#, false),
            (r#"nickName eq null"#, true),
            (r#"userName ne null"#, true),
            (r#"nickName ne "x""#, true),
            (r#"active eq true"#, true),
            (r#"active eq "true""#, false),
            (r#"active gt false"#, false),
            (r#"meta.lastModified gt "2024-05-13T00:00:00Z""#, true),
            (r#"meta.lastModified lt "2024-05-13T06:42:34+02:00""#, false),
            (r#"meta.lastModified eq "2024-05-13T06:42:34+02:00""#, true),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
                true,
            ),
            (r#"employeeNumber eq "701984""#, true),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "M-1""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bj""#,
                true,
            ),
            (r#"custom gt 4"#, true),
            (r#"custom le 4.5"#, false),
            (r#"userName gt "a" and userName lt "c""#, true),
            (r#"not (active eq true) or title pr"#, false),
            (
                r#"userName eq "x" or (active eq true and displayName co "babs")"#,
                true,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).matches(&resource, &user), expected, "{text}");
        }
    }

    #[test]
    fn a_number_matches_a_string_literal_by_its_text_but_a_boolean_does_not() {
        let user = ResourceSchema::user();
        let resource = json!({"id": 1012, "userName": "x", "active": true, "custom": 5});
        let cases = [
            (r#"id eq "1012""#, true),
            (r#"id eq "101""#, false),
            (r#"id ne "1012""#, false),
            (r#"id ne "7""#, true),
            (r#"id sw "10""#, true),
            (r#"id ew "12""#, true),
            (r#"id co "01""#, true),
            (r#"id gt "1""#, false),
            (r#"id eq 1012"#, true),
            (r#"custom eq "5""#, true),
            (r#"active eq "true""#, false),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).matches(&resource, &user), expected, "{text}");
        }
        let list =
            json!({"Resources": [{"id": 1011, "active": true}, {"id": 1012, "active": false}]});
        let selected = PatchPath::parse(r#"Resources[id eq "1012"].active"#).expect("path");
        assert_eq!(path::select(&list, &selected, &user), [&Value::Bool(false)]);
    }

    #[test]
    fn group_members_filter() {
        let group = ResourceSchema::group();
        let resource =
            json!({"displayName": "Sales", "members": [{"value": "u1"}, {"value": "u2"}]});
        assert!(parse(r#"members[value eq "u2"]"#).matches(&resource, &group));
        assert!(parse(r#"members eq "u1""#).matches(&resource, &group));
        assert!(parse(r#"displayName eq "SALES""#).matches(&resource, &group));
    }
}
