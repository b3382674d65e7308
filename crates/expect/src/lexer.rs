//! The lexer: splits an expectation into tokens with their byte spans.
//! Strings are decoded here; numbers are kept as text (with any unit) for
//! the literal parser.

use crate::error::Failure;

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok<'s> {
    /// A name or keyword: `status`, `content-type`, `contains`, `and`.
    Ident(&'s str),
    /// A number with any unit, as written: `200`, `-1.5`, `800ms`, `10KiB`.
    Number(&'s str),
    /// A quoted string, decoded.
    Str(String),
    Dot,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// The end of the source.
    Eof,
}

/// A token and its byte span in the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token<'s> {
    pub(crate) tok: Tok<'s>,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Splits `src` into tokens, ending with [`Tok::Eof`].
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token<'_>>, Failure> {
    let mut tokens = Vec::new();
    let mut rest = src.char_indices().peekable();
    while let Some((start, c)) = rest.next() {
        let next = rest.peek().map(|(_, c)| *c);
        let (tok, end) = match c {
            c if c.is_whitespace() => continue,
            c if c.is_ascii_alphabetic() || c == '_' => {
                let end = take_while(&mut rest, src.len(), |c| {
                    c.is_ascii_alphanumeric() || c == '_' || c == '-'
                });
                (Tok::Ident(slice(src, start, end)), end)
            }
            c if c.is_ascii_digit() || (c == '-' && next.is_some_and(|n| n.is_ascii_digit())) => {
                let end = take_while(&mut rest, src.len(), |c| {
                    c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == 'µ'
                });
                (Tok::Number(slice(src, start, end)), end)
            }
            '"' | '\'' => string(src, start, c, &mut rest)?,
            '=' if next == Some('=') => two(&mut rest, Tok::Eq, start),
            '!' if next == Some('=') => two(&mut rest, Tok::Ne, start),
            '<' if next == Some('=') => two(&mut rest, Tok::Le, start),
            '>' if next == Some('=') => two(&mut rest, Tok::Ge, start),
            '<' => (Tok::Lt, start + 1),
            '>' => (Tok::Gt, start + 1),
            '.' => (Tok::Dot, start + 1),
            '[' => (Tok::LBracket, start + 1),
            ']' => (Tok::RBracket, start + 1),
            '(' => (Tok::LParen, start + 1),
            ')' => (Tok::RParen, start + 1),
            ',' => (Tok::Comma, start + 1),
            '=' => return Err(Failure::new(start, "unexpected `=`").help("compare with `==`")),
            '!' => {
                return Err(Failure::new(start, "unexpected `!`")
                    .help("write `!=`, or `not` before an operator"));
            }
            '&' => {
                return Err(
                    Failure::new(start, "unexpected `&`").help("combine expectations with `and`")
                );
            }
            '|' => {
                return Err(
                    Failure::new(start, "unexpected `|`").help("combine expectations with `or`")
                );
            }
            c => {
                return Err(Failure::new(
                    start,
                    format!("unexpected character `{}`", c.escape_debug()),
                ));
            }
        };
        tokens.push(Token { tok, start, end });
    }
    tokens.push(Token {
        tok: Tok::Eof,
        start: src.len(),
        end: src.len(),
    });
    Ok(tokens)
}

type Chars<'s> = std::iter::Peekable<std::str::CharIndices<'s>>;

/// Consumes characters while `keep` holds; returns the byte offset after them.
fn take_while(rest: &mut Chars<'_>, len: usize, keep: impl Fn(char) -> bool) -> usize {
    while let Some((i, c)) = rest.peek().copied() {
        if !keep(c) {
            return i;
        }
        rest.next();
    }
    len
}

/// A two-character operator whose first character was consumed.
fn two<'s>(rest: &mut Chars<'_>, tok: Tok<'s>, start: usize) -> (Tok<'s>, usize) {
    rest.next();
    (tok, start + 2)
}

fn slice(src: &str, start: usize, end: usize) -> &str {
    src.get(start..end).unwrap_or_default()
}

/// Decodes a string opened by `quote` at `start`.
///
/// Escapes: `\"`, `\'`, `\\`, `\n`, `\r`, `\t`, `\0` and `\u{…}`. Any other
/// backslash is kept as written, so regular expressions like `"\d+"` need no
/// doubling.
fn string<'s>(
    src: &str,
    start: usize,
    quote: char,
    rest: &mut Chars<'_>,
) -> Result<(Tok<'s>, usize), Failure> {
    let mut out = String::new();
    while let Some((i, c)) = rest.next() {
        match c {
            c if c == quote => return Ok((Tok::Str(out), i + 1)),
            '\\' => match rest.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\'')) => out.push('\''),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, 't')) => out.push('\t'),
                Some((_, '0')) => out.push('\0'),
                Some((_, 'u')) => out.push(unicode_escape(src, i, rest)?),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    Err(Failure::new(start, "unterminated string").help(format!("close it with `{quote}`")))
}

/// Decodes the `{…}` of a `\u{…}` escape whose backslash is at `at`.
fn unicode_escape(src: &str, at: usize, rest: &mut Chars<'_>) -> Result<char, Failure> {
    let bad = |end: usize| {
        let shown = src.get(at..end).unwrap_or("\\u");
        Failure::new(at, format!("invalid unicode escape `{shown}`"))
            .help("write `\\u{` and one to six hex digits, then `}`, e.g. `\\u{e9}`")
    };
    if rest.next_if(|(_, c)| *c == '{').is_none() {
        return Err(bad(at + 2));
    }
    let mut code: u32 = 0;
    let mut digits = 0;
    loop {
        let Some((i, c)) = rest.next() else {
            return Err(bad(src.len()));
        };
        match c.to_digit(16) {
            Some(d) if digits < 6 => {
                code = code * 16 + d;
                digits += 1;
            }
            _ if c == '}' && digits > 0 => return char::from_u32(code).ok_or_else(|| bad(i + 1)),
            _ => return Err(bad(i + c.len_utf8())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok<'_>> {
        tokenize(src)
            .map(|t| t.into_iter().map(|t| t.tok).collect())
            .unwrap_or_default()
    }

    fn failure(src: &str) -> (usize, String) {
        match tokenize(src) {
            Ok(t) => panic!("expected an error, got {t:?}"),
            Err(f) => (f.at, f.message),
        }
    }

    #[test]
    fn splits_every_token_kind() {
        assert_eq!(
            kinds(r#"header.content-type == "a" != < <= > >= ( ) [ ] , -1.5s 10KiB"#),
            [
                Tok::Ident("header"),
                Tok::Dot,
                Tok::Ident("content-type"),
                Tok::Eq,
                Tok::Str("a".into()),
                Tok::Ne,
                Tok::Lt,
                Tok::Le,
                Tok::Gt,
                Tok::Ge,
                Tok::LParen,
                Tok::RParen,
                Tok::LBracket,
                Tok::RBracket,
                Tok::Comma,
                Tok::Number("-1.5s"),
                Tok::Number("10KiB"),
                Tok::Eof,
            ]
        );
        assert_eq!(
            kinds("a[0].b"),
            [
                Tok::Ident("a"),
                Tok::LBracket,
                Tok::Number("0"),
                Tok::RBracket,
                Tok::Dot,
                Tok::Ident("b"),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn decodes_escapes_and_keeps_unknown_ones() {
        assert_eq!(
            kinds(r#""a\"b\\c\n\t\u{e9}\d""#),
            [Tok::Str("a\"b\\c\n\té\\d".into()), Tok::Eof]
        );
        assert_eq!(
            kinds(r#"'it\'s "x"'"#),
            [Tok::Str("it's \"x\"".into()), Tok::Eof]
        );
    }

    #[test]
    fn reports_bad_input_where_it_starts() {
        assert_eq!(failure(r#"body contains "abc"#).0, 14);
        assert_eq!(failure("status = 200").1, "unexpected `=`");
        assert_eq!(
            failure(r#"x == "\u{110000}""#).1,
            "invalid unicode escape `\\u{110000}`"
        );
        assert_eq!(
            failure(r#"x == "\u{zz}""#).1,
            "invalid unicode escape `\\u{z`"
        );
        assert_eq!(failure(r#"x == "\u"#).1, "invalid unicode escape `\\u`");
        assert_eq!(
            failure("x == 1 % 2"),
            (7, "unexpected character `%`".into())
        );
    }
}
