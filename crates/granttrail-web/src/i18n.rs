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

/// `(key, English, 简体中文)`.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("nav_label", "Main", "主导航"),
    ("projects_title", "Projects", "项目"),
    (
        "projects_caption",
        "Projects matching the filters",
        "符合条件的项目",
    ),
    ("api_reference", "API reference", "接口文档"),
    ("language", "Language", "语言"),
    ("sign_in_title", "Sign in", "登录"),
    (
        "sign_in_help",
        "Paste the bearer token you were given. It is exchanged for a session in this browser and is not kept here.",
        "请粘贴您获得的访问令牌。它将换取本浏览器的会话，不会保存在页面中。",
    ),
    ("token_label", "Bearer token", "访问令牌"),
    ("sign_in", "Sign in", "登录"),
    ("sign_out", "Sign out", "退出"),
    (
        "sign_in_refused",
        "That token is unknown, revoked or expired.",
        "该令牌无效、已撤销或已过期。",
    ),
    (
        "session_over",
        "Your session has ended. Please sign in again.",
        "您的会话已结束，请重新登录。",
    ),
    ("signed_out", "You have signed out.", "您已退出。"),
    (
        "form_refused",
        "This form was not sent from this site's own page (or the page is too old). Nothing was written; reload the page and try again.",
        "该表单并非来自本站页面（或页面已过期），未写入任何内容。请刷新页面后重试。",
    ),
    ("role_admin", "admin", "管理员"),
    ("role_staff", "staff", "工作人员"),
    ("role_auditor", "auditor", "审计人员"),
    ("role_executor", "executor", "执行单位"),
    ("search", "Search", "搜索"),
    (
        "search_hint",
        "code, title, executor or community",
        "编号、名称、执行单位或社区",
    ),
    ("stage", "Stage", "阶段"),
    ("any", "Any", "全部"),
    ("overdue", "Overdue", "逾期"),
    ("yes", "Yes", "是"),
    ("no", "No", "否"),
    ("signed_from", "Signed from", "签约日期自"),
    ("signed_to", "Signed to", "签约日期至"),
    ("apply", "Apply", "筛选"),
    ("next_page", "Next page", "下一页"),
    ("no_projects", "No projects match.", "没有符合条件的项目。"),
    ("code", "Code", "编号"),
    ("title", "Title", "项目名称"),
    ("executor", "Executor", "执行单位"),
    ("signed_on", "Signed on", "签约日期"),
    ("planned_end", "Planned end", "计划结束"),
    ("version", "Version", "版本"),
    ("stage_signed", "signed", "已签约"),
    (
        "stage_self_report_submitted",
        "self-report submitted",
        "已提交结项报告",
    ),
    ("stage_returned", "returned", "已退回"),
    ("stage_reviewed", "reviewed", "已审查"),
    ("stage_site_visited", "site visited", "已现场评估"),
    ("stage_drafted", "drafted", "评估报告起草中"),
    ("stage_finalized", "finalized", "已结项"),
    ("viewing", "You are looking at", "当前查看"),
    (
        "back_to_latest",
        "back to the latest version",
        "返回最新版本",
    ),
    ("time_travel", "State at a point in time", "历史时点状态"),
    ("at_version", "At version", "版本"),
    ("as_of", "As of business date", "截至业务日期"),
    ("known_at", "As known at (instant)", "截至记录时刻"),
    ("show", "Show", "查看"),
    ("state", "State", "状态"),
    ("programme", "Programme", "项目类别"),
    ("funder", "Funder", "资助方"),
    ("communities", "Communities", "服务社区"),
    ("applied_on", "Applied on", "申请日期"),
    ("period", "Period", "项目周期"),
    ("originally", "originally until", "原定至"),
    ("matching_source", "Matching funds from", "配套资金来源"),
    ("completed_on", "Completed on", "完成日期"),
    ("review", "Review", "审查"),
    ("outcome_accepted", "accepted", "通过"),
    ("outcome_returned", "returned", "退回"),
    ("site_visit", "Site visit", "现场评估"),
    ("draft", "Draft", "评估报告稿"),
    ("revision", "revision", "第几稿"),
    ("conclusion_passed", "passed", "通过"),
    ("conclusion_failed", "failed", "不通过"),
    ("finalized", "Finalized", "正式评估报告"),
    ("indicators", "Indicators", "产出指标"),
    ("indicator", "Indicator", "指标"),
    ("target", "Target", "目标"),
    ("actual", "Actual", "实际"),
    ("met", "Met", "达成"),
    ("outputs", "Outputs", "输出"),
    ("report", "Report", "结项评估报告"),
    ("audit_trail", "Audit trail", "审计轨迹"),
    ("verification", "Verification", "完整性验证"),
    ("export_bundle", "Signed bundle (zip)", "签名导出包（zip）"),
    ("actions", "Record what happened", "登记事项"),
    ("timeline", "Timeline", "时间线"),
    ("business_date", "business date", "业务日期"),
    ("recorded", "recorded", "记录于"),
    ("field", "Field", "字段"),
    ("earlier_events", "Earlier events", "更早的事件"),
    ("before", "Before", "变更前"),
    ("after", "After", "变更后"),
    ("done", "Recorded.", "已登记。"),
    (
        "stale",
        "This project changed since you opened this page: it is now at version {current}, you saw version {expected}. Nothing was written; your entries are kept below. Read the timeline, then send again.",
        "您打开此页面后项目已有变更：现为第 {current} 版，您看到的是第 {expected} 版。未写入任何内容，您填写的内容保留如下。请查看时间线后重新提交。",
    ),
    (
        "not_allowed_now",
        "This cannot be recorded in the project's current stage.",
        "项目当前阶段不能登记此事项。",
    ),
    (
        "fix_fields",
        "Some entries need correcting; see the notes beside them.",
        "部分内容需要更正，请查看字段旁的说明。",
    ),
    (
        "four_eyes",
        "Four eyes: {author} did the work this judges, so someone else must do this.",
        "双人复核：{author}完成了此项所审核的工作，须由另一人办理。",
    ),
    ("cmd_sign", "Sign a project", "签约新项目"),
    ("cmd_extend", "Extend the period", "延期变更"),
    (
        "cmd_record_midterm",
        "Record the mid-term evaluation",
        "登记中期评估",
    ),
    (
        "cmd_submit_self_report",
        "Submit the self-report",
        "提交结项报告",
    ),
    ("cmd_review", "Review the self-report", "审查结项报告"),
    ("cmd_visit", "Record the site visit", "登记现场评估"),
    ("cmd_draft", "Draft the evaluation report", "起草评估报告"),
    ("cmd_finalize", "Finalize the report", "定稿评估报告"),
    ("cmd_correct", "Correct a recorded fact", "更正已记录的事项"),
    ("midterm", "Mid-term evaluation", "中期评估"),
    ("cmd_release_tranche", "Release a tranche", "拨付一期资金"),
    ("cmd_attach", "Attach evidence", "上传证明材料"),
    (
        "cmd_withdraw_attachment",
        "Withdraw an attachment",
        "撤回证明材料",
    ),
    ("f_withdrawn_on", "Withdrawn on", "撤回日期"),
    ("f_sha256", "SHA-256 of the file", "文件的 SHA-256"),
    ("f_withdrawal_reason", "Reason", "撤回原因"),
    ("f_released_on", "Released on", "拨付日期"),
    ("f_tranche", "Tranche number", "期数"),
    (
        "f_override_reason",
        "Override reason (only for a withheld tranche)",
        "越权拨付理由（仅用于被扣留的一期）",
    ),
    ("corrections", "Corrections (更正说明)", "更正说明"),
    ("corrected_field", "Field", "字段"),
    ("corrected_from", "Recorded as", "原记录"),
    ("corrected_to", "Corrected to", "更正为"),
    ("correction_reason", "Reason", "原因"),
    ("f_corrected_on", "Corrected on", "更正日期"),
    (
        "f_corrected_version",
        "Version of the event",
        "所更正事项的版本",
    ),
    (
        "f_corrected_field",
        "Field (e.g. /completed_on)",
        "字段（如 /completed_on）",
    ),
    ("f_corrected_value", "Corrected value", "更正后的值"),
    ("f_correction_reason", "Reason", "更正原因"),
    ("f_code", "Project code", "项目编号"),
    ("f_title", "Title", "项目名称"),
    ("f_programme", "Programme", "项目类别"),
    ("f_funder", "Funder", "资助方"),
    ("f_executor_org_id", "Executor's id", "执行单位编号"),
    ("f_executor_name", "Executor's name", "执行单位名称"),
    (
        "f_communities",
        "Communities (one per line)",
        "服务社区（每行一个）",
    ),
    ("f_applied_on", "Applied on", "申请日期"),
    ("f_signed_on", "Signed on", "签约日期"),
    ("f_period_start", "Period starts", "周期开始"),
    ("f_period_end", "Period ends", "周期结束"),
    ("f_matching_source", "Matching funds from", "配套资金来源"),
    ("f_grant_amount", "Grant amount", "资助金额"),
    ("f_matching_amount", "Matching amount", "配套金额"),
    ("f_currency", "Currency", "币种"),
    ("f_indicator", "Indicator", "指标"),
    ("f_key", "key", "代码"),
    ("f_label", "label", "名称"),
    ("f_unit", "unit", "单位"),
    ("f_target", "target", "目标"),
    ("f_comparison", "met when", "达成条件"),
    ("cmp_at_least", "at least the target", "不少于目标"),
    ("cmp_exactly", "exactly the target", "等于目标"),
    ("cmp_at_most", "at most the target", "不多于目标"),
    ("f_predecessor", "Continues project", "前期项目"),
    ("f_group", "block of work", "所属板块"),
    ("f_background", "Background", "项目背景"),
    ("f_goals", "Goals", "项目目标"),
    ("f_evaluated_on", "Evaluated on", "评估日期"),
    (
        "f_midterm_findings",
        "Problems found (one per line)",
        "发现的问题（每行一条）",
    ),
    (
        "f_fixes",
        "Fixed afterwards (one per line)",
        "整改情况（每行一条）",
    ),
    (
        "f_justification",
        "Justification (only for an exception)",
        "例外情况说明",
    ),
    ("f_decided_on", "Decided on", "决定日期"),
    ("f_new_end", "New planned end", "新的计划结束日期"),
    ("f_reason", "Reason", "原因"),
    ("f_submitted_on", "Submitted on", "提交日期"),
    ("f_completed_on", "Completed on", "完成日期"),
    ("f_actual", "Actual", "实际完成"),
    ("f_note", "note", "说明"),
    ("f_extra_output", "Output without a target", "额外产出"),
    ("f_value", "value", "数量"),
    ("f_summary", "Summary", "总结"),
    ("f_reviewed_on", "Reviewed on", "审查日期"),
    ("f_outcome", "Outcome", "审查结果"),
    ("f_comments", "Comments", "审查意见"),
    ("f_visited_on", "Visited on", "评估日期"),
    (
        "f_visitors",
        "Visitors (one per line)",
        "评估人员（每行一个）",
    ),
    ("f_findings", "Findings", "评估发现"),
    ("f_vouchers_checked", "Vouchers checked", "已核查原始凭证"),
    ("f_budget_reconciled", "Budget reconciled", "预决算相符"),
    ("f_compliant", "Compliant", "合规"),
    ("f_financial_notes", "Financial notes", "财务说明"),
    ("f_drafted_on", "Drafted on", "起草日期"),
    ("f_process", "How the evaluation was done", "评估过程"),
    (
        "f_problems",
        "Problems found (one per line)",
        "发现的问题（每行一条）",
    ),
    (
        "f_suggestions",
        "Suggestions (one per line)",
        "建议（每行一条）",
    ),
    ("f_conclusion", "Conclusion", "评估结论"),
    ("f_notes", "Notes", "备注"),
    ("f_finalized_on", "Finalized on", "定稿日期"),
    ("f_approved_by", "Approved by", "批准人"),
    ("must_be_number", "must be a whole number", "须为整数"),
    ("err_required", "is required", "必填"),
    (
        "err_value",
        "is not a value this field takes",
        "该字段不接受此值",
    ),
    (
        "err_date_order",
        "is in the wrong order with another date",
        "日期先后顺序不正确",
    ),
    ("err_duplicate", "is used more than once", "重复"),
    (
        "err_invalid_amount",
        "is not an amount such as 50000.00",
        "金额格式不正确（例如 50000.00）",
    ),
    (
        "err_invalid_currency",
        "is not a currency code such as CNY",
        "币种代码不正确（例如 CNY）",
    ),
    (
        "err_invalid_key",
        "is not a key of letters, digits, '_', '-' or '.'",
        "代码只能由字母、数字、“_”、“-”或“.”组成",
    ),
    (
        "err_missing_actual",
        "needs an actual value for every indicator",
        "每个指标都需填写实际完成数",
    ),
    ("err_negative", "may not be negative", "不能为负数"),
    (
        "err_target",
        "is not a target this indicator takes",
        "目标值不正确",
    ),
    ("err_too_long", "is too long", "内容过长"),
    ("err_too_many", "has too many items", "条目过多"),
    (
        "err_unknown_indicator",
        "names no indicator of this project",
        "不是本项目的指标",
    ),
    (
        "err_control_character",
        "contains a control character",
        "包含控制字符",
    ),
    (
        "err_future_date",
        "is after today: it cannot have happened yet",
        "晚于今天：尚未发生的事项不能登记",
    ),
    ("report_title", "Closing-evaluation report", "结项评估报告"),
    ("download", "Download", "下载"),
    ("audit_title", "Audit trail", "审计轨迹"),
    ("download_csv", "Download CSV", "下载 CSV"),
    ("when_recorded", "Recorded", "记录时间"),
    ("who", "Who", "操作人"),
    ("what", "What", "事项"),
    ("changes", "Changes", "变更"),
    ("hash", "Hash", "哈希"),
    ("verification_title", "Verification", "完整性验证"),
    (
        "chain_ok",
        "Every event's hash links to the one before: the history is intact.",
        "每个事件的哈希均与前一事件相连：历史记录完整。",
    ),
    (
        "chain_broken",
        "The hash chain is broken at version",
        "哈希链断裂于版本",
    ),
    ("events_count", "Events", "事件数"),
    ("head_hash", "Newest hash", "最新哈希"),
    ("checkpoint", "Latest signed checkpoint", "最新签名检查点"),
    (
        "no_checkpoint",
        "No checkpoint has been signed yet.",
        "尚未签署检查点。",
    ),
    (
        "inclusion",
        "Inclusion in the transparency log",
        "透明日志收录证明",
    ),
    (
        "inclusion_help",
        "Each event's proof that it is in the signed log; check it with granttrail verify or the Python script of the docs.",
        "每个事件收录于已签名日志的证明，可用 granttrail verify 或文档中的 Python 脚本核验。",
    ),
    ("position", "Position", "位置"),
    ("proof", "Proof", "证明"),
    ("not_in_log_yet", "not in the log yet", "尚未收录"),
    ("error_title", "Something went wrong", "出错了"),
    ("exports_title", "Export every project", "导出全部项目"),
    (
        "exports_help",
        "The signed bundle of every project you may see, in one zip, with a list of any project whose history could not be read. It runs here in the background; this page shows how far it is.",
        "将您可查看的每个项目的签名导出包打包为一个 zip，并列出历史记录无法读取的项目。导出在后台进行，本页显示进度。",
    ),
    ("start_export", "Start the export", "开始导出"),
    ("export_progress", "Exported", "已导出"),
    ("export_done", "Done.", "已完成。"),
    ("export_failed", "The export failed:", "导出失败："),
    (
        "export_unreadable",
        "projects could not be read; see unreadable.csv in the zip",
        "个项目无法读取，见 zip 中的 unreadable.csv",
    ),
    ("your_exports", "Your exports", "您的导出"),
    (
        "not_found",
        "There is no such project, or it is not yours to see.",
        "没有该项目，或您无权查看。",
    ),
    (
        "forbidden",
        "Your role may not do this.",
        "您的角色无权执行此操作。",
    ),
    (
        "unavailable",
        "The service cannot answer right now; nothing was written.",
        "服务暂时无法响应，未写入任何内容。",
    ),
    (
        "report_not_ready",
        "There is no report until a draft has been recorded.",
        "登记评估报告稿后才有报告。",
    ),
];

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
