//! The kinds of event, by name: the names stored in every event row
//! and shown in `/events`, and the schema version each is written at.

use std::fmt;

/// The kind of a [`crate::ProjectEvent`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    /// 签约.
    ProjectSigned,
    /// 延期变更.
    PeriodExtended,
    /// 中期评估.
    MidtermEvaluated,
    /// 提交结项报告.
    SelfReportSubmitted,
    /// 审查.
    SelfReportReviewed,
    /// 现场评估.
    SiteVisited,
    /// 评估报告初稿.
    EvaluationDrafted,
    /// 正式评估报告.
    EvaluationFinalized,
    /// 更正.
    CorrectionRecorded,
    /// 拨付.
    TrancheReleased,
    /// 历史数据导入.
    HistoryImported,
    /// 证明材料.
    AttachmentAdded,
    /// 撤回证明材料.
    AttachmentWithdrawn,
}

impl EventType {
    /// Every event type, in lifecycle order.
    pub const ALL: [EventType; 13] = [
        EventType::ProjectSigned,
        EventType::PeriodExtended,
        EventType::MidtermEvaluated,
        EventType::SelfReportSubmitted,
        EventType::SelfReportReviewed,
        EventType::SiteVisited,
        EventType::EvaluationDrafted,
        EventType::EvaluationFinalized,
        EventType::CorrectionRecorded,
        EventType::TrancheReleased,
        EventType::HistoryImported,
        EventType::AttachmentAdded,
        EventType::AttachmentWithdrawn,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ProjectSigned => "ProjectSigned",
            EventType::PeriodExtended => "PeriodExtended",
            EventType::MidtermEvaluated => "MidtermEvaluated",
            EventType::SelfReportSubmitted => "SelfReportSubmitted",
            EventType::SelfReportReviewed => "SelfReportReviewed",
            EventType::SiteVisited => "SiteVisited",
            EventType::EvaluationDrafted => "EvaluationDrafted",
            EventType::EvaluationFinalized => "EvaluationFinalized",
            EventType::CorrectionRecorded => "CorrectionRecorded",
            EventType::TrancheReleased => "TrancheReleased",
            EventType::HistoryImported => "HistoryImported",
            EventType::AttachmentAdded => "AttachmentAdded",
            EventType::AttachmentWithdrawn => "AttachmentWithdrawn",
        }
    }

    /// The type a stored name names, if any.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The schema version written today. Raise it only together with an
    /// upcaster from the previous version (`event.rs`).
    pub fn current_schema_version(self) -> u32 {
        match self {
            // v1 predates extra outputs and called the summary `narrative`.
            EventType::SelfReportSubmitted => 2,
            EventType::ProjectSigned
            | EventType::PeriodExtended
            | EventType::MidtermEvaluated
            | EventType::SelfReportReviewed
            | EventType::SiteVisited
            | EventType::EvaluationDrafted
            | EventType::EvaluationFinalized
            | EventType::CorrectionRecorded
            | EventType::TrancheReleased
            | EventType::HistoryImported
            | EventType::AttachmentAdded
            | EventType::AttachmentWithdrawn => 1,
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_type() {
        for event_type in EventType::ALL {
            assert_eq!(EventType::parse(event_type.as_str()), Some(event_type));
        }
        assert_eq!(EventType::parse("ProjectDeleted"), None);
        assert_eq!(EventType::parse("projectsigned"), None, "names are exact");
    }
}
