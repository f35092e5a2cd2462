//! A bound on how deep the syntax tree of some SQL can be, from its tokens.
//!
//! sqlparser bounds its own recursion (parentheses, subqueries, calls), but it
//! parses a chain of infix or postfix operators (`1 + 1 + 1 …`, `x::int::int …`,
//! `select … union select … union …`) in a loop into a left-deep tree as deep
//! as the chain is long. Such a tree is dropped and printed recursively, so a
//! long enough chain would overflow the stack. This module rejects SQL whose
//! chains could nest deeper than [`MAX_CHAIN_DEPTH`].
//!
//! It over-approximates: every token that could continue a chain (symbols,
//! operator keywords) counts one level. A chain ends where a new
//! expression starts as a sibling: at a comma, at a clause keyword (`FROM`,
//! `WHERE`, …), or at `WHEN`/`THEN`/`ELSE` inside a `CASE`. Chains inside
//! brackets nest inside the enclosing chain, so their depths add up. Set
//! operators chain whole `SELECT`s, so they are counted apart and only reset at
//! a bracket's end.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::LineageError;

/// Generous for real SQL (a chain rarely exceeds a few dozen operators), and
/// shallow enough to drop and print a tree on a 2 MiB thread stack.
pub(crate) const MAX_CHAIN_DEPTH: usize = 2_000;

#[derive(Clone, Copy, PartialEq)]
enum Opener {
    Bracket,
    Case,
}

struct Level {
    opener: Opener,
    operators: usize,
    set_operators: usize,
}

impl Level {
    fn new(opener: Opener) -> Level {
        Level {
            opener,
            operators: 0,
            set_operators: 0,
        }
    }

    fn depth(&self) -> usize {
        self.operators + self.set_operators
    }
}

pub(crate) fn check_operator_chains(tokens: &[TokenWithSpan]) -> Result<(), LineageError> {
    let mut levels = vec![Level::new(Opener::Bracket)];
    // The summed depth of the enclosing levels, so each token costs O(1).
    let mut enclosing = 0usize;
    for token in tokens {
        let Some(level) = levels.last_mut() else {
            break;
        };
        match &token.token {
            Token::Whitespace(_) | Token::EOF => continue,
            Token::Comma => level.operators = 0,
            Token::SemiColon => {
                levels.truncate(1);
                enclosing = 0;
                levels[0] = Level::new(Opener::Bracket);
            }
            Token::LParen | Token::LBracket | Token::LBrace => {
                // `a[1][2]` subscripts chain like postfix operators.
                if token.token == Token::LBracket {
                    level.operators += 1;
                }
                enclosing += level.depth();
                levels.push(Level::new(Opener::Bracket));
            }
            Token::RParen | Token::RBracket | Token::RBrace => {
                close(&mut levels, &mut enclosing, Opener::Bracket)
            }
            Token::Word(word) if word.quote_style.is_none() => match word.keyword {
                Keyword::CASE => {
                    // `CASE` itself continues the enclosing chain.
                    level.operators += 1;
                    enclosing += level.depth();
                    levels.push(Level::new(Opener::Case));
                }
                Keyword::END => close(&mut levels, &mut enclosing, Opener::Case),
                Keyword::WHEN | Keyword::THEN | Keyword::ELSE => {
                    if level.opener == Opener::Case {
                        level.operators = 0;
                    }
                }
                Keyword::SELECT
                | Keyword::FROM
                | Keyword::WHERE
                | Keyword::GROUP
                | Keyword::HAVING
                | Keyword::QUALIFY
                | Keyword::WINDOW
                | Keyword::ORDER
                | Keyword::LIMIT
                | Keyword::OFFSET
                | Keyword::JOIN
                | Keyword::ON
                | Keyword::USING
                | Keyword::WITH => level.operators = 0,
                Keyword::UNION | Keyword::EXCEPT | Keyword::INTERSECT | Keyword::MINUS => {
                    level.set_operators += 1;
                    level.operators = 0;
                }
                Keyword::AND
                | Keyword::OR
                | Keyword::XOR
                | Keyword::NOT
                | Keyword::IS
                | Keyword::NOTNULL
                | Keyword::NULL
                | Keyword::IN
                | Keyword::BETWEEN
                | Keyword::LIKE
                | Keyword::ILIKE
                | Keyword::RLIKE
                | Keyword::REGEXP
                | Keyword::SIMILAR
                | Keyword::GLOB
                | Keyword::MATCH
                | Keyword::MEMBER
                | Keyword::OVERLAPS
                | Keyword::OPERATOR
                | Keyword::DIV
                | Keyword::AT
                | Keyword::COLLATE
                | Keyword::ESCAPE
                | Keyword::GLOBAL => level.operators += 1,
                _ => continue,
            },
            // Names and literals are operands; they do not chain by themselves.
            Token::Word(_)
            | Token::Number(..)
            | Token::Char(_)
            | Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::TripleSingleQuotedString(_)
            | Token::TripleDoubleQuotedString(_)
            | Token::DollarQuotedString(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::DoubleQuotedByteStringLiteral(_)
            | Token::TripleSingleQuotedByteStringLiteral(_)
            | Token::TripleDoubleQuotedByteStringLiteral(_)
            | Token::SingleQuotedRawStringLiteral(_)
            | Token::DoubleQuotedRawStringLiteral(_)
            | Token::TripleSingleQuotedRawStringLiteral(_)
            | Token::TripleDoubleQuotedRawStringLiteral(_)
            | Token::NationalStringLiteral(_)
            | Token::EscapedStringLiteral(_)
            | Token::UnicodeStringLiteral(_)
            | Token::HexStringLiteral(_)
            | Token::Placeholder(_) => continue,
            // Symbols: anything that might extend a chain.
            _ => level.operators += 1,
        }
        if let Some(level) = levels.last()
            && enclosing + level.depth() > MAX_CHAIN_DEPTH
        {
            return Err(LineageError::TooDeep {
                limit: MAX_CHAIN_DEPTH,
            });
        }
    }
    Ok(())
}

/// Ends the innermost level if it was opened by `opener`; an unmatched closer is
/// left for the parser to report.
fn close(levels: &mut Vec<Level>, enclosing: &mut usize, opener: Opener) {
    if levels.len() > 1 && levels.last().is_some_and(|l| l.opener == opener) {
        levels.pop();
        if let Some(parent) = levels.last() {
            *enclosing = enclosing.saturating_sub(parent.depth());
        }
    }
}
