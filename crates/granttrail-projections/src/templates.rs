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

#[cfg(test)]
mod tests {
    use super::*;

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
