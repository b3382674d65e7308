//! The Atom and RSS history feeds: well-formed XML (checked by the small
//! strict parser below, as no XML parser is in the workspace), the entries
//! the sample snapshot should give, and hostile text escaped. The parser
//! serves the badge tests too.

use jiff::Timestamp;
use shipshape_status::feed::{atom, rss};

use crate::support;

/// An element of a parsed document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn all(&self, name: &str) -> Vec<&Element> {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Element(e) if e.name == name => Some(e),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn one(&self, name: &str) -> &Element {
        let all = self.all(name);
        assert_eq!(all.len(), 1, "<{}> holds {} <{name}>", self.name, all.len());
        all[0]
    }

    pub(crate) fn text(&self) -> String {
        self.children
            .iter()
            .map(|n| match n {
                Node::Text(t) => t.clone(),
                Node::Element(e) => e.text(),
            })
            .collect()
    }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, ':' | '_' | '-' | '.')
}

/// Character data with its references resolved; `Err` for a raw `<`, a bad
/// reference or a character XML 1.0 forbids.
fn unescape(raw: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        if !is_xml_char(c) {
            return Err(format!("illegal character U+{:04X}", c as u32));
        }
        if c == '<' {
            return Err("raw `<` in text".into());
        }
        if c == '&' {
            let end = rest.find(';').ok_or("`&` without `;`")?;
            let name = &rest[1..end];
            let resolved = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ if name.starts_with("#x") => u32::from_str_radix(&name[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or(format!("bad reference &{name};"))?,
                _ if name.starts_with('#') => name[1..]
                    .parse::<u32>()
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or(format!("bad reference &{name};"))?,
                _ => return Err(format!("unknown entity &{name};")),
            };
            if !is_xml_char(resolved) {
                return Err(format!("reference to illegal character &{name};"));
            }
            out.push(resolved);
            rest = &rest[end + 1..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    Ok(out)
}

/// A strict parser for the subset the feeds use (prolog, elements,
/// attributes, character data, references): the root element, or why the
/// document is not well-formed.
pub(crate) fn parse(doc: &str) -> Result<Element, String> {
    let mut rest = doc;
    if let Some(after) = rest.strip_prefix("<?xml") {
        let end = after.find("?>").ok_or("unterminated prolog")?;
        rest = &after[end + 2..];
    }
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>').ok_or("unterminated end tag")?;
            let name = after[..end].trim_end();
            let open = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if open.name != name {
                return Err(format!("</{name}> closes <{}>", open.name));
            }
            rest = &after[end + 1..];
            match stack.last_mut() {
                Some(parent) => parent.children.push(Node::Element(open)),
                None if root.is_none() => root = Some(open),
                None => return Err("two root elements".into()),
            }
        } else if let Some(after) = rest.strip_prefix('<') {
            if after.starts_with('!') || after.starts_with('?') {
                return Err("unexpected markup declaration".into());
            }
            let name_len = after
                .find(|c: char| !is_name_char(c))
                .ok_or("unterminated tag")?;
            if name_len == 0 {
                return Err("tag without a name".into());
            }
            let mut element = Element {
                name: after[..name_len].to_owned(),
                attrs: Vec::new(),
                children: Vec::new(),
            };
            let mut tail = &after[name_len..];
            let empty = loop {
                let trimmed = tail.trim_start();
                if let Some(t) = trimmed.strip_prefix("/>") {
                    tail = t;
                    break true;
                }
                if let Some(t) = trimmed.strip_prefix('>') {
                    tail = t;
                    break false;
                }
                if trimmed.len() == tail.len() {
                    return Err(format!(
                        "no space before an attribute in <{}>",
                        element.name
                    ));
                }
                let eq = trimmed.find('=').ok_or("attribute without value")?;
                let name = trimmed[..eq].to_owned();
                if name.is_empty() || !name.chars().all(is_name_char) {
                    return Err(format!("bad attribute name {name:?}"));
                }
                let quoted = &trimmed[eq + 1..];
                let quote = quoted.chars().next().ok_or("unterminated attribute")?;
                if quote != '"' && quote != '\'' {
                    return Err(format!("unquoted attribute {name}"));
                }
                let end = quoted[1..].find(quote).ok_or("unterminated attribute")?;
                let value = unescape(&quoted[1..1 + end])?;
                if element.attrs.iter().any(|(n, _)| *n == name) {
                    return Err(format!("attribute {name} twice"));
                }
                element.attrs.push((name, value));
                tail = &quoted[end + 2..];
            };
            rest = tail;
            if empty {
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(element)),
                    None if root.is_none() => root = Some(element),
                    None => return Err("two root elements".into()),
                }
            } else {
                if root.is_some() {
                    return Err("content after the root element".into());
                }
                stack.push(element);
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = unescape(&rest[..end])?;
            match stack.last_mut() {
                Some(parent) => parent.children.push(Node::Text(text)),
                None if text.trim().is_empty() => {}
                None => return Err("text outside the root element".into()),
            }
            rest = &rest[end..];
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("<{}> is never closed", open.name));
    }
    root.ok_or_else(|| "no root element".into())
}

pub(crate) fn well_formed(doc: &str) -> Element {
    parse(doc).unwrap_or_else(|e| panic!("not well-formed: {e}\n{doc}"))
}

#[test]
fn the_checker_rejects_what_is_not_well_formed() {
    for bad in [
        "<a><b></a></b>",
        "<a>x & y</a>",
        "<a>x < y</a>",
        "<a b=c/>",
        "<a>\u{1}</a>",
        "<a>&#1;</a>",
        "<a></a><b/>",
        "<a>",
        "<a>&nbsp;</a>",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} accepted");
    }
    let ok =
        parse("<?xml version=\"1.0\"?>\n<a x='1' y=\"&amp;\"><b/>t &lt;&#x202E;</a>\n").unwrap();
    assert_eq!(ok.attr("y"), Some("&"));
    assert_eq!(ok.text(), "t <\u{202E}");
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn atom_lists_incidents_and_maintenance_newest_first() {
    let doc = atom(&support::snapshot());
    let feed = well_formed(&doc);
    assert_eq!(feed.name, "feed");
    assert_eq!(feed.attr("xmlns"), Some("http://www.w3.org/2005/Atom"));
    assert_eq!(feed.one("title").text(), "Benefits status history");
    assert_eq!(
        feed.one("id").text(),
        "urn:shipshape:status:benefits-status"
    );
    assert_eq!(feed.one("updated").text(), "2026-11-30T11:00:00Z");
    let links = feed.all("link");
    let self_link = links
        .iter()
        .find(|l| l.attr("rel") == Some("self"))
        .unwrap();
    assert_eq!(
        self_link.attr("href"),
        Some("https://status.example.gov/history.atom")
    );
    assert!(!feed.one("author").one("name").text().is_empty());

    let entries = feed.all("entry");
    let titles: Vec<String> = entries.iter().map(|e| e.one("title").text()).collect();
    assert_eq!(
        titles,
        [
            "Slow responses from the API",
            "Maintenance: Login provider upgrade",
            "Maintenance: Database migration",
            "Website unavailable",
        ]
    );
    let first = entries[0];
    assert_eq!(
        first.one("link").attr("href"),
        Some("https://status.example.gov/incidents/2")
    );
    assert_eq!(
        first.one("id").text(),
        "urn:shipshape:status:benefits-status:incident:2"
    );
    assert_eq!(first.one("updated").text(), "2026-11-30T11:00:00Z");
    assert_eq!(first.one("published").text(), "2026-11-30T09:00:00Z");
    let content = first.one("content");
    assert_eq!(content.attr("type"), Some("html"));
    let html = content.text();
    let newer = html.find("A database replica is lagging").unwrap();
    let older = html.find("We are looking into errors").unwrap();
    assert!(newer < older, "updates newest first: {html}");
    assert!(html.contains("<strong>Identified</strong>"), "{html}");
    assert!(html.contains("Nov 30, 2026 11:00 UTC"), "{html}");
    assert_eq!(
        entries[1].one("link").attr("href"),
        Some("https://status.example.gov/maintenance/7")
    );
    assert!(entries[1].one("content").text().contains("In progress"));
    let times: Vec<Timestamp> = entries
        .iter()
        .map(|e| at(&e.one("updated").text()))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
}

#[test]
fn rss_lists_the_same_entries() {
    let doc = rss(&support::snapshot());
    let root = well_formed(&doc);
    assert_eq!(root.name, "rss");
    assert_eq!(root.attr("version"), Some("2.0"));
    let channel = root.one("channel");
    assert_eq!(channel.one("title").text(), "Benefits status history");
    assert_eq!(channel.one("link").text(), "https://status.example.gov/");
    assert_eq!(
        channel.one("atom:link").attr("href"),
        Some("https://status.example.gov/history.rss")
    );
    assert_eq!(
        channel.one("lastBuildDate").text(),
        "Mon, 30 Nov 2026 11:00:00 +0000"
    );
    let items = channel.all("item");
    assert_eq!(items.len(), 4);
    assert_eq!(items[0].one("title").text(), "Slow responses from the API");
    assert_eq!(
        items[0].one("link").text(),
        "https://status.example.gov/incidents/2"
    );
    assert_eq!(items[0].one("guid").attr("isPermaLink"), Some("false"));
    assert_eq!(
        items[3].one("link").text(),
        "https://status.example.gov/incidents/1"
    );
    assert!(
        items[3]
            .one("description")
            .text()
            .contains("The website is back.")
    );
    assert_eq!(
        items[3].one("pubDate").text(),
        "Fri, 20 Nov 2026 14:00:00 +0000"
    );
}

#[test]
fn links_are_relative_without_a_page_url() {
    let mut snapshot = support::snapshot();
    snapshot.page.url = None;
    let feed = well_formed(&atom(&snapshot));
    let entry = feed.all("entry")[0];
    assert_eq!(entry.one("link").attr("href"), Some("/incidents/2"));
    let links = feed.all("link");
    assert!(
        links
            .iter()
            .any(|l| l.attr("href") == Some("/history.atom"))
    );
    let channel = well_formed(&rss(&snapshot)).one("channel").clone();
    assert_eq!(channel.all("item")[1].one("link").text(), "/maintenance/7");
}

#[test]
fn hostile_text_is_escaped_or_dropped() {
    let mut snapshot = support::snapshot();
    let hostile =
        "<script>alert(\"x\")</script> & 'quotes' \u{202E}evil\u{1}\u{B}\u{FFFF}\u{85} ]]>";
    snapshot.page.name = hostile.into();
    snapshot.incidents[0].name = hostile.into();
    snapshot.incidents[0].updates[0].body = format!("{hostile}\nsecond line");
    snapshot.maintenances[0].name = hostile.into();
    for doc in [atom(&snapshot), rss(&snapshot)] {
        let root = well_formed(&doc);
        assert!(!doc.contains("<script>"), "{doc}");
        assert!(!doc.contains('\u{202E}') && !doc.contains('\u{1}'), "{doc}");
        let all = root.text();
        assert!(
            all.contains("<script>alert(\"x\")</script> & 'quotes' evil ]]>"),
            "{all}"
        );
        // Inside the HTML content the text is escaped once more, so a reader
        // rendering the HTML shows it instead of running it.
        assert!(all.contains("&lt;script&gt;alert(&quot;x&quot;)"), "{all}");
        assert!(all.contains("second line"));
        assert!(all.contains("<br>second line"), "line breaks kept: {all}");
    }
}

#[test]
fn an_empty_history_is_still_a_feed() {
    let mut snapshot = support::snapshot();
    snapshot.incidents.clear();
    snapshot.maintenances.clear();
    let feed = well_formed(&atom(&snapshot));
    assert!(feed.all("entry").is_empty());
    assert_eq!(feed.one("updated").text(), "2026-11-30T11:00:00Z");
    let root = well_formed(&rss(&snapshot));
    assert!(root.one("channel").all("item").is_empty());
}
