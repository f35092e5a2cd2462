//! Environment-variable expansion of a workflow file, done on the text before it
//! is parsed (as OpenMetadata does), so that a variable can stand for any scalar.
//!
//! Syntax:
//! * `$NAME` and `${NAME}`: the variable's value. `NAME` is `[A-Za-z_][A-Za-z0-9_]*`.
//!   An unset variable is an error that names it and its line; every unset variable
//!   of the file is reported at once.
//! * `${NAME:-default}`: the value, or `default` when the variable is unset or empty.
//! * `$$`: a literal `$`.
//! * A `$` followed by anything else (`^sales_.*$`, `cost: 5$`) stays as it is, so
//!   regular expressions in filter patterns need no escaping.
//!
//! Comments are not expanded: a commented-out line that names a variable which is
//! not set must not fail the run. A `#` starts a comment when it is outside a quoted
//! scalar and at the start of a line or after whitespace, as in YAML. Quotes are
//! tracked within one line only (a quoted scalar spanning lines is rare in workflow
//! files), and a `#` line inside a block scalar (`|`) counts as a comment.
//!
//! Values are never logged or put into errors: they may be secrets.

use std::fmt;

/// The expanded text and, for each of its lines, the line of the input it came from
/// (a value with newlines makes one input line into several).
#[derive(Clone)]
pub struct Expanded {
    pub text: String,
    /// `origin[i]` is the 1-based input line of output line `i + 1`, and whether a
    /// substitution happened on it before the end of the line (then columns on it
    /// no longer match the input).
    origin: Vec<(usize, bool)>,
}

// The text may hold secrets: keep it out of Debug output.
impl fmt::Debug for Expanded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Expanded")
            .field("bytes", &self.text.len())
            .finish_non_exhaustive()
    }
}

impl Expanded {
    /// Maps a 1-based (line, column) of the expanded text to the input. The column is
    /// dropped when a substitution on that line moved it.
    pub fn input_position(&self, line: usize, column: usize) -> (usize, Option<usize>) {
        match self.origin.get(line.wrapping_sub(1)) {
            Some(&(input_line, shifted)) => (input_line, (!shifted).then_some(column)),
            None => (line, Some(column)),
        }
    }
}

/// One problem found while expanding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandIssue {
    /// 1-based line and column of the `$` in the input.
    pub line: usize,
    pub column: usize,
    pub kind: ExpandIssueKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandIssueKind {
    /// `$NAME` or `${NAME}` with `NAME` not set.
    Unset(String),
    /// `${` without a closing `}` on the same line.
    Unterminated,
    /// `${...}` whose content is not `NAME` or `NAME:-default`.
    BadReference(String),
}

impl fmt::Display for ExpandIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExpandIssueKind::Unset(name) => write!(
                f,
                "line {}, column {}: environment variable `{name}` is not set \
                 (set it, give a default with `${{{name}:-default}}`, or write `$$` for a literal `$`)",
                self.line, self.column
            ),
            ExpandIssueKind::Unterminated => write!(
                f,
                "line {}, column {}: `${{` is not closed by `}}` on the same line",
                self.line, self.column
            ),
            ExpandIssueKind::BadReference(text) => write!(
                f,
                "line {}, column {}: `${{{text}}}` is not a variable reference \
                 (expected `${{NAME}}` or `${{NAME:-default}}`)",
                self.line, self.column
            ),
        }
    }
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// Expands variables in `input`, looking names up with `lookup`
/// (`|n| std::env::var(n).ok()` in production).
pub fn expand(
    input: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Expanded, Vec<ExpandIssue>> {
    let mut out = String::with_capacity(input.len());
    let mut origin = Vec::new();
    let mut issues = Vec::new();

    for (idx, raw_line) in input.split_inclusive('\n').enumerate() {
        let line_no = idx + 1;
        let first_out_line = origin.len();
        origin.push((line_no, false));
        let mut shifted = false;
        expand_line(
            raw_line,
            line_no,
            &lookup,
            &mut out,
            &mut origin,
            &mut shifted,
            &mut issues,
        );
        if shifted {
            for entry in &mut origin[first_out_line..] {
                entry.1 = true;
            }
        }
    }
    if issues.is_empty() {
        Ok(Expanded { text: out, origin })
    } else {
        Err(issues)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Quote {
    None,
    Single,
    Double,
}

fn expand_line(
    line: &str,
    line_no: usize,
    lookup: &impl Fn(&str) -> Option<String>,
    out: &mut String,
    origin: &mut Vec<(usize, bool)>,
    shifted: &mut bool,
    issues: &mut Vec<ExpandIssue>,
) {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut quote = Quote::None;
    // The last non-blank character before the current one, to tell a quote that opens
    // a scalar (`key: 'x'`) from an apostrophe inside a plain scalar (`it's`).
    let mut prev_significant: Option<char> = None;
    let mut prev_char: Option<char> = None;
    let mut i = 0;

    let push_value = |value: &str, out: &mut String, origin: &mut Vec<(usize, bool)>| {
        for c in value.chars() {
            out.push(c);
            if c == '\n' {
                origin.push((line_no, true));
            }
        }
    };

    while i < chars.len() {
        let (byte, c) = chars[i];
        let column = i + 1;
        match quote {
            Quote::None => {
                if c == '#' && prev_char.is_none_or(char::is_whitespace) {
                    // A comment: the rest of the line stays as it is.
                    out.push_str(&line[byte..]);
                    return;
                }
                if (c == '\'' || c == '"')
                    && prev_significant
                        .is_none_or(|p| matches!(p, ':' | '-' | '[' | '{' | ',' | '?'))
                {
                    quote = if c == '\'' {
                        Quote::Single
                    } else {
                        Quote::Double
                    };
                }
            }
            Quote::Single => {
                if c == '\'' {
                    quote = Quote::None;
                }
            }
            Quote::Double => {
                if c == '\\' {
                    // Keep the escaped character as it is (`\"` does not close).
                    if let Some(&(_, next)) = chars.get(i + 1) {
                        out.push(c);
                        out.push(next);
                        prev_char = Some(next);
                        i += 2;
                        continue;
                    }
                } else if c == '"' {
                    quote = Quote::None;
                }
            }
        }

        if c != '$' {
            out.push(c);
            if !c.is_whitespace() {
                prev_significant = Some(c);
            }
            prev_char = Some(c);
            i += 1;
            continue;
        }

        // A `$`: decide what follows.
        let rest = &line[byte + 1..];
        if rest.starts_with('$') {
            out.push('$');
            *shifted = true;
            prev_significant = Some('$');
            prev_char = Some('$');
            i += 2;
            continue;
        }
        if let Some(after_brace) = rest.strip_prefix('{') {
            let Some(close) = after_brace.find('}') else {
                issues.push(ExpandIssue {
                    line: line_no,
                    column,
                    kind: ExpandIssueKind::Unterminated,
                });
                out.push_str(&line[byte..]);
                return;
            };
            let inner = &after_brace[..close];
            let (name, default) = match inner.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (inner, None),
            };
            if !is_name(name) {
                issues.push(ExpandIssue {
                    line: line_no,
                    column,
                    kind: ExpandIssueKind::BadReference(inner.to_string()),
                });
            } else {
                match (lookup(name), default) {
                    (Some(v), Some(d)) if v.is_empty() => push_value(d, out, origin),
                    (Some(v), _) => push_value(&v, out, origin),
                    (None, Some(d)) => push_value(d, out, origin),
                    (None, None) => issues.push(ExpandIssue {
                        line: line_no,
                        column,
                        kind: ExpandIssueKind::Unset(name.to_string()),
                    }),
                }
            }
            *shifted = true;
            // `$` + `{` + inner + `}`, counted in chars.
            i += 3 + inner.chars().count();
            prev_significant = Some('}');
            prev_char = Some('}');
            continue;
        }
        if rest.starts_with(is_name_start) {
            let len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
            let name = &rest[..len];
            match lookup(name) {
                Some(v) => push_value(&v, out, origin),
                None => issues.push(ExpandIssue {
                    line: line_no,
                    column,
                    kind: ExpandIssueKind::Unset(name.to_string()),
                }),
            }
            *shifted = true;
            i += 1 + len;
            prev_significant = name.chars().last();
            prev_char = prev_significant;
            continue;
        }
        // Any other `$` is literal.
        out.push('$');
        prev_significant = Some('$');
        prev_char = Some('$');
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "REGION" => Some("eu-west-1".into()),
            "EMPTY" => Some(String::new()),
            "MULTI" => Some("a\nb".into()),
            _ => None,
        }
    }

    fn ok(input: &str) -> String {
        expand(input, env).expect("expands").text
    }

    #[test]
    fn both_forms_and_defaults() {
        assert_eq!(ok("r: $REGION\n"), "r: eu-west-1\n");
        assert_eq!(ok("r: ${REGION}x\n"), "r: eu-west-1x\n");
        assert_eq!(ok("r: ${NOPE:-us-east-1}\n"), "r: us-east-1\n");
        assert_eq!(ok("r: ${EMPTY:-dflt}\n"), "r: dflt\n");
        assert_eq!(ok("r: ${REGION:-dflt}\n"), "r: eu-west-1\n");
        assert_eq!(ok("r: ${NOPE:-}\n"), "r: \n");
    }

    #[test]
    fn dollar_escapes_and_literals() {
        assert_eq!(ok("p: a$$b\n"), "p: a$b\n");
        assert_eq!(ok("p: \"^sales_.*$\"\n"), "p: \"^sales_.*$\"\n");
        assert_eq!(ok("p: ^a$|^b$\n"), "p: ^a$|^b$\n");
        assert_eq!(ok("p: 5$ 1$2\n"), "p: 5$ 1$2\n");
        assert_eq!(ok("p: $$NOPE\n"), "p: $NOPE\n");
    }

    #[test]
    fn unset_variables_are_all_reported_with_lines() {
        let err = expand("a: $ONE\nb: ok\nc: x ${TWO}\n", env).unwrap_err();
        assert_eq!(
            err,
            vec![
                ExpandIssue {
                    line: 1,
                    column: 4,
                    kind: ExpandIssueKind::Unset("ONE".into())
                },
                ExpandIssue {
                    line: 3,
                    column: 6,
                    kind: ExpandIssueKind::Unset("TWO".into())
                },
            ]
        );
        let msg = err[1].to_string();
        assert!(
            msg.contains("`TWO` is not set") && msg.contains("line 3"),
            "{msg}"
        );
    }

    #[test]
    fn comments_are_left_alone() {
        assert_eq!(ok("# key: $NOPE\n"), "# key: $NOPE\n");
        assert_eq!(ok("a: $REGION # was $NOPE\n"), "a: eu-west-1 # was $NOPE\n");
        // `#` inside a quoted scalar or glued to a word is not a comment.
        let err = expand("a: \"x # $NOPE\"\n", env).unwrap_err();
        assert_eq!(err[0].kind, ExpandIssueKind::Unset("NOPE".into()));
        let err = expand("a: x#$NOPE\n", env).unwrap_err();
        assert_eq!(err[0].kind, ExpandIssueKind::Unset("NOPE".into()));
        // An apostrophe inside a plain scalar does not open a quote.
        assert_eq!(ok("d: it's # $NOPE\n"), "d: it's # $NOPE\n");
        // JSON strings keep their `#`.
        assert_eq!(ok("{\"a\": \"#$REGION\"}\n"), "{\"a\": \"#eu-west-1\"}\n");
    }

    #[test]
    fn escaped_quote_does_not_close_a_double_quoted_scalar() {
        let err = expand("a: \"say \\\" # $NOPE\"\n", env).unwrap_err();
        assert_eq!(err[0].kind, ExpandIssueKind::Unset("NOPE".into()));
    }

    #[test]
    fn malformed_references() {
        let err = expand("a: ${REGION\n", env).unwrap_err();
        assert_eq!(err[0].kind, ExpandIssueKind::Unterminated);
        let err = expand("a: ${1X}\n", env).unwrap_err();
        assert_eq!(err[0].kind, ExpandIssueKind::BadReference("1X".into()));
    }

    #[test]
    fn positions_map_back_to_the_input() {
        let e = expand("a: $MULTI\nb: [1\n", env).unwrap();
        assert_eq!(e.text, "a: a\nb\nb: [1\n");
        assert_eq!(e.input_position(1, 4), (1, None));
        assert_eq!(e.input_position(2, 1), (1, None));
        assert_eq!(e.input_position(3, 4), (2, Some(4)));
    }

    #[test]
    fn non_ascii_text_keeps_columns_in_characters() {
        let err = expand("é: $NOPE\n", env).unwrap_err();
        assert_eq!(err[0].column, 4);
        assert_eq!(ok("é: ${REGION}ü\n"), "é: eu-west-1ü\n");
    }
}
