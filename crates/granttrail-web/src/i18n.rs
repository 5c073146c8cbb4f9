//! The interface's two languages, zh-CN and en: chosen by a cookie the
//! language switch sets, else by `Accept-Language`, else zh-CN (the
//! foundation's own). Every message exists in both (one table, three
//! columns); a test renders every page in both with missing keys an error.

use std::collections::BTreeMap;

use http::HeaderMap;

/// The interface's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文.
    ZhCn,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// `zh-CN` (or `zh`, any case) or `en`.
    pub fn parse(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag == "zh" || tag.starts_with("zh-") {
            Some(Lang::ZhCn)
        } else if tag == "en" || tag.starts_with("en-") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The cookie's choice, else the first language of `Accept-Language`
    /// (by weight) that is ours, else zh-CN.
    pub fn of(headers: &HeaderMap) -> Lang {
        if let Some(chosen) = cookie(headers, LANG_COOKIE).and_then(|v| Lang::parse(&v)) {
            return chosen;
        }
        let accepted = headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let mut ranges: Vec<(f32, &str)> = accepted
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';');
                let tag = parts.next()?.trim();
                let weight = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((weight, tag))
            })
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges
            .into_iter()
            .filter(|(weight, _)| *weight > 0.0)
            .find_map(|(_, tag)| Lang::parse(tag))
            .unwrap_or(Lang::ZhCn)
    }

    /// Every message in this language, by key (what templates see as `tr`),
    /// built once per language: every page render shares it.
    pub fn messages(self) -> &'static BTreeMap<&'static str, &'static str> {
        static BY_LANG: std::sync::OnceLock<[BTreeMap<&'static str, &'static str>; 2]> =
            std::sync::OnceLock::new();
        let [en, zh] = BY_LANG.get_or_init(|| {
            let of = |english: bool| {
                MESSAGES
                    .iter()
                    .map(|(key, en, zh)| (*key, if english { *en } else { *zh }))
                    .collect()
            };
            [of(true), of(false)]
        });
        if self == Lang::En { en } else { zh }
    }

    /// One message.
    pub fn text(self, key: &str) -> &'static str {
        MESSAGES
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or("", |(_, en, zh)| if self == Lang::En { en } else { zh })
    }
}

/// The cookie holding the language chosen with the switch.
pub const LANG_COOKIE: &str = "granttrail_lang";

/// The value of cookie `name`, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub use crate::messages::MESSAGES;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_both_languages_once() {
        let mut keys = std::collections::BTreeSet::new();
        for (key, en, zh) in MESSAGES {
            assert!(keys.insert(*key), "{key} is listed twice");
            assert!(!en.trim().is_empty(), "{key} has no English");
            assert!(!zh.trim().is_empty(), "{key} has no Chinese");
        }
    }

    #[test]
    fn the_language_is_the_cookies_else_the_browsers_else_chinese() {
        let headers = |pairs: &[(&str, &str)]| {
            let mut map = HeaderMap::new();
            for (k, v) in pairs {
                map.append(
                    http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            map
        };
        assert_eq!(Lang::of(&headers(&[])), Lang::ZhCn);
        assert_eq!(
            Lang::of(&headers(&[("accept-language", "en-GB,en;q=0.9")])),
            Lang::En
        );
        assert_eq!(
            Lang::of(&headers(&[(
                "accept-language",
                "fr;q=1, en;q=0.5, zh;q=0.8"
            )])),
            Lang::ZhCn
        );
        assert_eq!(
            Lang::of(&headers(&[
                ("accept-language", "en"),
                ("cookie", "a=b; granttrail_lang=zh-CN")
            ])),
            Lang::ZhCn
        );
    }
}

#[cfg(test)]
mod template_tests {
    use super::MESSAGES;

    /// Every message a template names literally (`tr.key`) is in the
    /// table; keys built from data (`tr["stage_" ~ …]`) are covered by the
    /// pages rendered in both languages (tests/web_sessions.rs), which fail
    /// on a missing one.
    #[test]
    fn every_message_a_template_names_exists() {
        let templates = [
            include_str!("../templates/base.html"),
            include_str!("../templates/login.html"),
            include_str!("../templates/projects.html"),
            include_str!("../templates/project_rows.html"),
            include_str!("../templates/project.html"),
            include_str!("../templates/command_form.html"),
            include_str!("../templates/sign.html"),
            include_str!("../templates/audit.html"),
            include_str!("../templates/verification.html"),
            include_str!("../templates/error.html"),
            include_str!("../templates/exports.html"),
        ];
        for template in templates {
            for (at, _) in template.match_indices("tr.") {
                let key: String = template[at + 3..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    MESSAGES.iter().any(|(k, _, _)| *k == key),
                    "no message '{key}'"
                );
            }
        }
    }
}
