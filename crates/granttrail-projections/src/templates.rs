//! The report's templates: compiled into the binary, registered once,
//! with a formatter that keeps raw HTML out of the Markdown report.

use std::sync::OnceLock;

use minijinja::Environment;

use crate::ReportError;

/// The report's templates, compiled into the binary.
const TEMPLATES: [(&str, &str); 2] = [
    ("report.md", include_str!("../templates/report.md.j2")),
    ("report.html", include_str!("../templates/report.html.j2")),
];

/// The template environment, built once. A template that does not compile
/// is an error every render reports (naming the template), not a missing
/// template discovered later.
pub(crate) fn environment() -> Result<&'static Environment<'static>, ReportError> {
    static ENVIRONMENT: OnceLock<Result<Environment<'static>, ReportError>> = OnceLock::new();
    ENVIRONMENT
        .get_or_init(|| environment_of(&TEMPLATES))
        .as_ref()
        .map_err(Clone::clone)
}

fn environment_of(
    templates: &[(&'static str, &'static str)],
) -> Result<Environment<'static>, ReportError> {
    let mut env = Environment::new();
    env.set_formatter(markdown_safe_formatter);
    env.add_filter("free", free_text);
    for (name, source) in templates {
        env.add_template(name, source)
            .map_err(|e| ReportError::Render(format!("template {name} does not compile: {e}")))?;
    }
    Ok(env)
}

/// Markdown may carry raw HTML, which most renderers pass through: a
/// `<script>` or `<img onerror=…>` in a finding or a name would run
/// wherever the Markdown report is shown. So text interpolated into the
/// Markdown template has `&`, `<` and `>` written as entities (which every
/// renderer shows as the characters); quotes stay as they are, to keep the
/// Markdown readable as text. Other templates escape as minijinja does
/// (HTML for `.html`).
fn markdown_safe_formatter(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    use std::fmt::Write;
    if state.name().ends_with(".md")
        && !value.is_safe()
        && let Some(text) = value.as_str()
    {
        for c in text.chars() {
            match c {
                '&' => out.write_str("&amp;")?,
                '<' => out.write_str("&lt;")?,
                '>' => out.write_str("&gt;")?,
                c => out.write_char(c)?,
            }
        }
        return Ok(());
    }
    minijinja::escape_formatter(out, state, value)
}

/// The language free text was written in, as far as its script tells:
/// Chinese if it holds a Han character, English if it holds a Latin
/// letter, and `None` (the surrounding language) for dates and numbers.
fn language_of(text: &str) -> Option<&'static str> {
    let han = |c: char| matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}');
    if text.chars().any(han) {
        Some("zh-CN")
    } else if text.chars().any(|c| c.is_ascii_alphabetic()) {
        Some("en")
    } else {
        None
    }
}

/// `{{ text | free(lang) }}` in the HTML report: free text stays in the
/// language it was written in, and when that is not the report's, it is
/// marked with `lang` so screen readers, fonts and hyphenation treat it
/// right (a Chinese summary in the English report).
fn free_text(text: String, report_lang: String) -> minijinja::Value {
    let escaped = minijinja::HtmlEscape(&text).to_string();
    match language_of(&text) {
        Some(lang) if lang != report_lang => {
            minijinja::Value::from_safe_string(format!("<span lang=\"{lang}\">{escaped}</span>"))
        }
        _ => minijinja::Value::from_safe_string(escaped),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_in_another_language_is_marked_and_always_escaped() {
        assert_eq!(
            free_text("项目<b>".into(), "en".into()).to_string(),
            "<span lang=\"zh-CN\">项目&lt;b&gt;</span>"
        );
        assert_eq!(free_text("项目".into(), "zh-CN".into()).to_string(), "项目");
        assert_eq!(
            free_text("Rain & floods".into(), "zh-CN".into()).to_string(),
            "<span lang=\"en\">Rain &amp; floods</span>"
        );
        assert_eq!(
            free_text("2023-02-10".into(), "en".into()).to_string(),
            "2023-02-10"
        );
    }

    #[test]
    fn the_shipped_templates_compile() {
        assert!(environment_of(&TEMPLATES).is_ok());
    }

    #[test]
    fn a_template_that_does_not_compile_is_reported_by_name() {
        let broken = [("report.md", "{% for x in %}")];
        let Err(ReportError::Render(why)) = environment_of(&broken) else {
            panic!("a broken template was accepted");
        };
        assert!(why.contains("template report.md does not compile"), "{why}");
    }
}
