//! What every action on a segment acts on (seed 002, "Actions"): a segment, refined by a saved
//! view's filters or by the filters on the dashboard, and viewed for an event or production.
//!
//! An export, a push to Meta or a mail tool, a bulk tag, a campaign-link send and an audience
//! made from a view all start from a [`Selection`] and resolve it with
//! [`SegmentService::members`] to the same [`Members`]: the customers the dashboard counted, at
//! the moment the action runs. A saved view is stored as its filters, not its customers, so a job
//! resolves it again when it runs and new customers are included by themselves.
//!
//! Every action is written to the audit log with [`Members::audit`]: who, which segment and
//! view, the filters, how many customers and which file or target.

use chrono::{DateTime, Utc};
use fullhouse_core::tenancy::service::record_audit;
use fullhouse_core::{Caller, OrgId, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::index::Registry;
use crate::model::*;
use crate::service::SegmentService;

/// Which customers an action is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    pub segment_id: SegmentId,
    /// A saved view: its filters are used (and `filters` must then be empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_id: Option<ViewId>,
    /// The dashboard's filters, when no saved view is named.
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// "View for" an event or production: its ticket holders are left out.
    #[serde(default, flatten)]
    pub view_for: ViewFor,
}

impl Selection {
    /// The whole segment, with no filter.
    pub fn segment(segment_id: SegmentId) -> Self {
        Self {
            segment_id,
            view_id: None,
            filters: Vec::new(),
            view_for: ViewFor::default(),
        }
    }

    /// A saved view of a segment.
    pub fn view(segment_id: SegmentId, view_id: ViewId) -> Self {
        Self {
            view_id: Some(view_id),
            ..Self::segment(segment_id)
        }
    }
}

/// A selection as an action's request body gives it: the segment is the one in the path.
/// Action bodies nest it under `selection` (serde cannot flatten a struct that refuses unknown
/// fields).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectionBody {
    /// A saved view of the segment: its filters are used (and `filters` must then be empty).
    #[serde(default)]
    pub view_id: Option<ViewId>,
    /// Filters, when no saved view is named.
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// "View for" an event or production.
    #[serde(default, flatten)]
    pub view_for: ViewFor,
}

impl SelectionBody {
    /// The selection of the segment `segment_id` (the path's).
    pub fn of(self, segment_id: SegmentId) -> Selection {
        Selection {
            segment_id,
            view_id: self.view_id,
            filters: self.filters,
            view_for: self.view_for,
        }
    }
}

/// A selection resolved: the segment, the view, the filters applied and the customers.
#[derive(Debug, Clone)]
pub struct Members {
    pub segment: Segment,
    pub view: Option<SegmentView>,
    /// The filters applied: the view's when a view was named, else the selection's.
    pub filters: Vec<Filter>,
    pub view_for: ViewFor,
    /// The customers' ULIDs, ascending (the customer id is `cus_` + the ULID).
    pub ids: Vec<u128>,
    /// When the selection was resolved.
    pub at: DateTime<Utc>,
}

impl Members {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The customer ids, ascending.
    pub fn customer_ids(&self) -> impl Iterator<Item = String> + '_ {
        self.ids.iter().map(|id| customer_id(*id))
    }

    /// The customer ids in chunks of `size` (a page of a job's work).
    pub fn chunks(&self, size: usize) -> impl Iterator<Item = Vec<String>> + '_ {
        self.ids
            .chunks(size.max(1))
            .map(|chunk| chunk.iter().map(|id| customer_id(*id)).collect())
    }

    /// True when the customer (by id) is one of the members.
    pub fn contains(&self, customer: &str) -> bool {
        ulid_of(customer).is_some_and(|id| self.ids.binary_search(&id).is_ok())
    }

    /// What the audit log keeps of the selection: which segment, view and filters, and how many.
    pub fn describe(&self) -> serde_json::Value {
        json!({
            "segment_id": self.segment.id,
            "segment": self.segment.name,
            "view_id": self.view.as_ref().map(|v| v.id.clone()),
            "view": self.view.as_ref().map(|v| v.name.clone()),
            "filters": self.filters,
            "production_id": self.view_for.production_id,
            "event_id": self.view_for.event_id,
            "customers": self.ids.len(),
        })
    }

    /// Writes an action on these members to the audit log, in the caller's transaction.
    /// `action` is `segment.<verb>` (`segment.exported`, `segment.pushed`, `segment.tagged`,
    /// `segment.mailed`, `segment.audience`); `subject` the job (or audience) it started;
    /// `extra` what the action adds (the file name, the connector, the tag…), merged in.
    pub async fn audit(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        caller: &Caller,
        action: &str,
        subject: &str,
        extra: serde_json::Value,
    ) -> Result<()> {
        let mut details = self.describe();
        if let (Some(details), serde_json::Value::Object(extra)) = (details.as_object_mut(), extra)
        {
            details.extend(extra);
        }
        record_audit(txn, caller, action, subject, details).await
    }
}

/// The customer id of a ULID.
pub fn customer_id(ulid: u128) -> String {
    format!("cus_{}", ulid::Ulid(ulid))
}

/// The ULID of a customer id, if it is one.
pub fn ulid_of(customer: &str) -> Option<u128> {
    customer
        .strip_prefix("cus_")
        .and_then(|rest| ulid::Ulid::from_string(rest).ok())
        .map(|u| u.0)
}

impl SegmentService {
    /// Resolves `selection` to its customers, with the index brought up to date first (an
    /// action right after a change acts on the change).
    pub async fn members(
        &self,
        registry: &Registry,
        org: &OrgId,
        selection: &Selection,
        now: DateTime<Utc>,
    ) -> Result<Members> {
        let segment = self.segment(org, &selection.segment_id).await?;
        let view = match &selection.view_id {
            Some(view) => Some(self.view(org, &selection.segment_id, view).await?),
            None => None,
        };
        let filters = match &view {
            Some(view) if selection.filters.is_empty() => view.filters.clone(),
            Some(_) => {
                return Err(fullhouse_core::Error::invalid(
                    "filters",
                    "give either a saved view or filters, not both",
                ))
            }
            None => selection.filters.clone(),
        };
        // The same checks as a count: a typo in a filter or a "view for" is said, never acted on
        // as "nobody" or "everybody".
        let request = CountRequest {
            filters,
            view_for: selection.view_for.clone(),
        };
        let (index, query) = self
            .resolve(registry, org, segment.definition.clone(), request, now)
            .await?;
        let ids = index.with(|index| index.members(&query))??;
        Ok(Members {
            segment,
            view,
            filters: query.filters,
            view_for: query.view_for,
            ids,
            at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_id_and_its_ulid_go_both_ways() {
        let id = ulid::Ulid::new();
        let customer = customer_id(id.0);
        assert_eq!(ulid_of(&customer), Some(id.0));
        assert_eq!(ulid_of("cus_not-a-ulid"), None);
        assert_eq!(ulid_of(&format!("ord_{id}")), None);
    }

    #[test]
    fn a_selection_reads_the_view_for_fields_flat() {
        let json = r#"{"segment_id":"seg_01J00000000000000000000000","event_id":"evt_01J00000000000000000000000"}"#;
        let selection: Selection = serde_json::from_str(json).expect("reads");
        assert!(selection.view_id.is_none());
        assert!(selection.view_for.event_id.is_some());
        assert!(serde_json::from_str::<Selection>(
            r#"{"segment_id":"seg_01J00000000000000000000000","bogus":1}"#
        )
        .is_err());
    }
}
