//! Markdown to HTML for the page, safe for text from anywhere.
//!
//! Exercise files may come from a URL, so their Markdown is untrusted: raw HTML in it is
//! shown as text (never parsed), and links keep only `http:`, `https:`, `mailto:`,
//! fragment and relative targets (a `javascript:` link becomes plain text). Images are
//! shown as their alt text: the page loads nothing from elsewhere.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

/// The Markdown extensions exercises may use (the file reader parses with the same).
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
}

/// Renders Markdown to HTML that can be put into the page as is.
pub fn to_html(markdown: &str) -> String {
    // Links whose target is refused are dropped with their end tag: a stack says which
    // open links were kept.
    let mut kept_links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, options()).filter_map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Some(Event::Text(text)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let keep = safe_url(&dest_url);
            kept_links.push(keep);
            keep.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => {
            if kept_links.pop().unwrap_or(false) {
                Some(Event::End(TagEnd::Link))
            } else {
                None
            }
        }
        // An image is shown as its alt text (the Text events between these two).
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        other => Some(other),
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

fn safe_url(url: &CowStr) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    match lower.find(':') {
        // A scheme comes before any '/', '?' or '#'.
        Some(colon)
            if !lower[..colon].contains(['/', '?', '#'])
                && lower[..colon]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            matches!(&lower[..colon], "http" | "https" | "mailto")
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders() {
        assert_eq!(
            to_html("Some **bold** and `code`."),
            "<p>Some <strong>bold</strong> and <code>code</code>.</p>\n"
        );
        assert!(to_html("| a | b |\n|---|---|\n| 1 | 2 |").contains("<table>"));
    }

    #[test]
    fn html_and_script_urls_are_text() {
        let out = to_html("<script>alert(1)</script>\n\nHi <b onclick=x>there</b>");
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<b "), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
        let out = to_html("[click](javascript:alert(1)) [ok](https://redis.io) [rel](docs/x.md)");
        assert!(!out.contains("javascript"), "{out}");
        assert!(out.contains("click"), "{out}");
        assert!(out.contains("href=\"https://redis.io\""), "{out}");
        assert!(out.contains("href=\"docs/x.md\""), "{out}");
        let out = to_html("![x](https://evil/track.png) [a](JaVaScRiPt:x) [b](data:text/html,x)");
        assert!(!out.contains("<img"), "{out}");
        assert!(!out.to_ascii_lowercase().contains("javascript:"), "{out}");
        assert!(!out.contains("data:"), "{out}");
    }
}
