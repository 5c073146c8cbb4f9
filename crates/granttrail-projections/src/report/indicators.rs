//! The indicator table: targets in words, each actual as a share of its
//! own target, and the executor's blocks of work.

use super::*;

pub(super) fn comparison_text(lang: Lang, comparison: Comparison, target: i64) -> String {
    match (lang, comparison) {
        (Lang::ZhCn, Comparison::AtLeast) => format!("不少于{target}"),
        (Lang::ZhCn, Comparison::Exactly) => format!("{target}"),
        (Lang::ZhCn, Comparison::AtMost) => format!("不超过{target}"),
        (Lang::En, Comparison::AtLeast) => format!("≥ {target}"),
        (Lang::En, Comparison::Exactly) => format!("= {target}"),
        (Lang::En, Comparison::AtMost) => format!("≤ {target}"),
    }
}

/// The largest share of a target the picture shows; beyond it the bar
/// stops (the number still says how far beyond).
const MOST_PERCENT_SHOWN: u64 = 150;

/// The actual as a share of the target, in percent. A target of zero is
/// met in full by zero, and any actual above it is off the scale.
pub(super) fn percent_of_target(target: i64, actual: i64) -> u32 {
    let (target, actual) = (target.max(0) as u64, actual.max(0) as u64);
    let percent = match (target, actual) {
        (0, 0) => 100,
        (0, _) => MOST_PERCENT_SHOWN,
        (t, a) => a.saturating_mul(100) / t,
    };
    u32::try_from(percent).unwrap_or(u32::MAX)
}

pub(super) fn indicator_lines(indicators: &[IndicatorStatus], lang: Lang) -> Vec<IndicatorLine> {
    let percents: Vec<Option<u32>> = indicators
        .iter()
        .map(|i| i.actual.map(|a| percent_of_target(i.target, a)))
        .collect();
    let scale = percents
        .iter()
        .flatten()
        .map(|p| u64::from(*p).min(MOST_PERCENT_SHOWN))
        .max()
        .unwrap_or(100)
        .max(100);
    let on_scale = |percent: u64| (percent.min(MOST_PERCENT_SHOWN) * 100 / scale) as u32;
    indicators
        .iter()
        .zip(percents)
        .map(|(i, percent)| IndicatorLine {
            label: i.label.clone(),
            unit: i.unit.clone(),
            target_text: comparison_text(lang, i.comparison, i.target),
            target: i.target,
            actual: i.actual,
            met: i.met,
            note: i.note.clone(),
            percent,
            target_bar: on_scale(100),
            actual_bar: percent.map_or(0, |p| on_scale(u64::from(p))),
        })
        .collect()
}

/// The indicators under their blocks of work, blocks in the order first
/// named; indicators without a block form a group of their own, last.
pub(super) fn grouped(indicators: &[IndicatorStatus], lines: &[IndicatorLine]) -> Vec<OutputGroup> {
    let mut groups: Vec<OutputGroup> = Vec::new();
    let mut ungrouped = Vec::new();
    for (status, line) in indicators.iter().zip(lines) {
        match &status.group {
            None => ungrouped.push(line.clone()),
            Some(name) => match groups.iter_mut().find(|g| g.name.as_ref() == Some(name)) {
                Some(group) => group.indicators.push(line.clone()),
                None => groups.push(OutputGroup {
                    name: Some(name.clone()),
                    indicators: vec![line.clone()],
                }),
            },
        }
    }
    if !ungrouped.is_empty() {
        groups.push(OutputGroup {
            name: None,
            indicators: ungrouped,
        });
    }
    groups
}
